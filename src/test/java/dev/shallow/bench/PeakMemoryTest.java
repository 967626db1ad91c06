package dev.shallow.bench;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeakMemoryTest {
    @Test
    void readsTheHighWaterMarkInBytes() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n";
        assertEquals(123456L * 1024, PeakMemory.parseHighWaterMark(status));
    }

    @Test
    void aStatusWithoutTheLineIsRefused() {
        ShallowException e = assertThrows(ShallowException.class, () -> PeakMemory.parseHighWaterMark("Name:\tjava\nVmRSS:\t 1 kB\n"));
        assertTrue(e.getMessage().contains("VmHWM"), e.getMessage());
    }

    @Test
    void thisProcessHasAPeak() {
        Long peak = PeakMemory.residentPeakBytes();
        assertTrue(peak == null || peak > 1 << 20, "peak " + peak);
    }
}
