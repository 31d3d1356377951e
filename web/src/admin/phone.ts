/** Whether the window is phone-sized (≤ 760 px, as the other pages decide), kept up to date. */
import { onBeforeUnmount, onMounted, ref } from "vue";

export function usePhone() {
  const phone = ref(false);
  let media: MediaQueryList | null = null;
  const update = () => (phone.value = !!media?.matches);
  onMounted(() => {
    media = window.matchMedia("(max-width: 760px)");
    update();
    media.addEventListener("change", update);
  });
  onBeforeUnmount(() => media?.removeEventListener("change", update));
  return phone;
}
