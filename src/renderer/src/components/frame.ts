// The animation frame counter the ring provides to what it animates (the election timer arcs), so
// that only those small parts re-render every frame, not whole node cards.
import { ref, type InjectionKey, type Ref } from 'vue';

export const FRAME: InjectionKey<Ref<number>> = Symbol('animation frame');

/** A counter that never moves, for a component shown outside the ring. */
export const STILL = ref(0);
