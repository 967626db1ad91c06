package dev.shallow.heal;

/**
 * One forward (and backward) pass over n tokens: the precision of its products, and whether the
 * adapters' dropout is on ({@code train}) with the masks of {@code key}.
 */
record Pass(Precision precision, int n, long key, boolean train) {
}
