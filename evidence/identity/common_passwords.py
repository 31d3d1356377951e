"""The most common passwords (English and Chinese-keyboard habits), written for this project.

Lower case; the policy compares case-insensitively and also after removing trailing digits
and symbols (so `qwerty2026!` counts as `qwerty`). Add local favourites here.
"""

COMMON_PASSWORDS = frozenset("""
password passw0rd p@ssw0rd p@ssword pass1234 password1 password12 password123 password1234 passw0rd1
qwerty qwerty123 qwerty1234 qwertyui qwertyuiop qwer1234 1q2w3e4r 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc
zaq12wsx qazwsx qazwsxedc asdfghjkl asdfasdf asdf1234 zxcvbnm zxcvbnm1 zxcvbnm123 1234qwer qweasdzxc
qweasd123 abc123 abc12345 abcd1234 abcdefg abcdefgh abc123456 a1b2c3d4 a123456 a1234567 a12345678
aa123456 aaa123456 abcd123456 123456a 123456aa 123456abc 12345678a 123abc 123qwe 123qweasd 1234abcd
123456qwe 123456 1234567 12345678 123456789 1234567890 0123456789 0987654321 987654321 87654321
7654321 654321 123123 123123123 12341234 11223344 112233 121212 12121212 123321 1234554321 123654
147258 147258369 159357 159753 258369 321321 369258147 456789 520520 5201314 1314520 521521 5211314
1314521 woaini woaini1314 woaini520 iloveyou iloveyou1 iloveu 888888 88888888 666666 66666666 168168
16881688 518518 888999 666888 111111 11111111 000000 00000000 222222 333333 444444 555555 777777
999999 123456789a 12345678910 admin admin123 admin1234 admin888 admin@123 administrator root root123
toor guest test test123 test1234 user user123 demo demo123 default changeme letmein welcome welcome1
welcome123 login master hello hello123 helloworld monkey dragon football baseball basketball soccer
hockey superman batman spiderman sunshine princess shadow michael jordan jordan23 harley ranger
buster thomas robert daniel charlie jennifer jessica ashley hunter killer trustno1 starwars whatever
freedom computer internet secret secret123 mustang access flower loveme lovely iloveu2 nicole matrix
cheese pepper ginger summer winter spring autumn orange banana apple chocolate cookie purple yellow
silver golden diamond qq123456 qq5201314 wang123456 zhang123456 li123456 liu123456 chen123456
woaini123 aini1314 5201314520 beijing shanghai china123 zhongguo china woshishui nihao123 xiaoming
taobao baidu weixin wechat police police123 police110 jingcha jingcha110 110110 110120 120120 119119
12345678abc gongan gongan110 jiaojing jiaojing123 zhifa zhifa123 zfjly zfjly123 evidence camera
camera123 bodycam q1w2e3r4 q1w2e3r4t5 1a2b3c4d 1a2s3d4f 1qazxsw2 2wsx3edc 3edc4rfv zxc123 zxc123456
asd123 asd123456 qwe123 qwe123456 qwe123qwe asdasd asdasd123 zxczxc qweqwe 147852369 741852963
963852741 789456123 123456789q 1234567q 1234567a 1qaz1qaz 1q1q1q1q a1a1a1a1 aa112233 ab123456
abc123abc abcabc abcabc123 passwd pa55word pa55w0rd p4ssw0rd password! password@ p@ss1234 pass@123
admin@1234 abc@123 abc@1234 qwerty! qwerty@123 iloveyou! 123456! 1234567! 12345678! !qaz2wsx
1qaz@wsx 1qaz!qaz football1 baseball1 monkey123 dragon123 shadow123 master123 sunshine1 princess1
superman1 batman123 letmein1 trustno1! welcome! welcome@123 hello@123 love123 love1234 iloveyou123
loveyou 5211314521
""".split())
