"""Assessment (考核): monthly scores per unit and officer from weighted rates."""
