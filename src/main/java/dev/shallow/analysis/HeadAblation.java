package dev.shallow.analysis;

/**
 * ShortGPT §4.2 (Fig. 6): the calibration loss with one attention head's output zeroed (its slice of o_proj's input).
 *
 * @param heads  [L][query heads]: the loss with that query head zeroed
 * @param groups [L][key/value heads]: with grouped-query attention, the loss with every query head of that key/value
 *               group zeroed (query head h reads key/value head h / (heads / kv heads)); null without grouping
 */
public record HeadAblation(double[][] heads, double[][] groups) {
}
