package dev.shallow.analysis;

import java.io.Serializable;

/**
 * What a {@link CalibrationJob} measured on one range of calibration sequences: sums that merge exactly ({@link ExactSum}),
 * so the ranges of any partition, merged in any order, give the bits of one pass over the whole set.
 */
interface Partial<P extends Partial<P>> extends Serializable {
    /** Adds what {@code other} measured on another range (disjoint from every range merged so far). */
    void merge(P other);
}
