package dev.shallow.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MeasurementTest {
    /** The faster of two rounds' measurements, either way round, counts the runs of both. */
    @Test
    void fasterKeepsTheQuickerRunAndCountsBoth() {
        Measurement slow = new Measurement(10, 1.6, 1, false, null), quick = new Measurement(16, 1.0, 2, false, null);
        for (Measurement m : new Measurement[]{Measurement.faster(slow, quick), Measurement.faster(quick, slow)}) {
            assertEquals(16, m.perSecond());
            assertEquals(1.0, m.seconds());
            assertEquals(3, m.runs());
        }
    }
}
