package dev.shallow.transformer;

import dev.shallow.Shared;
import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {
    @Test
    void sizesParseInPowersOf1024() {
        assertEquals(6L << 30, MemoryBudget.parse("6g").bytes());
        assertEquals(6L << 30, MemoryBudget.parse("6GiB").bytes());
        assertEquals(512L << 20, MemoryBudget.parse("512M").bytes());
        assertEquals(3L << 29, MemoryBudget.parse("1.5g").bytes());
        assertEquals(4096, MemoryBudget.parse("4096").bytes());
        for (String bad : new String[]{"", "six", "6x", "-1g", "0"}) {
            ShallowException e = assertThrows(ShallowException.class, () -> MemoryBudget.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--memory-budget"), e.getMessage());
        }
    }

    @Test
    void defaultIsAFractionOfPhysicalMemory() {
        long limit = MemoryBudget.DEFAULT.limit();
        assertTrue(limit > 0 && limit < Runtime.getRuntime().maxMemory() * 100, "limit " + limit);
        assertEquals(1234, new MemoryBudget(1234).limit());
    }

    /** A model that fits runs in memory; under its weights' size it runs layer by layer and says why, with the sizes. */
    @Test
    void modelOverTheBudgetRunsLayerByLayer() {
        try (Model model = Model.load(Shared.model("stories-16L"))) {
            Transformer tf = new Transformer(model);
            List<LayerSchedule.Unit> units = List.of(new Sized(256, 1 << 19), new Sized(128, 1 << 19));
            assertFalse(MemoryBudget.DEFAULT.schedule(tf, units).layerMajor());
            LayerSchedule s = MemoryBudget.parse("4m").schedule(tf, units);
            assertTrue(s.layerMajor());
            assertTrue(s.chunkBytes() >= 1);
            assertTrue(s.reason().contains("(11.5 MiB)") && s.reason().contains("memory budget of 4.0 MiB"), s.reason());
        }
    }

    /** Consecutive runs under a cap, at least one item each: [3, 3 | 5, 1 | 9 | 2]. */
    @Test
    void runsAreConsecutiveAndUnderTheCap() {
        List<List<Long>> runs = LayerSchedule.runs(List.of(3L, 3L, 5L, 1L, 9L, 2L), Long::longValue, 6);
        assertEquals(List.of(List.of(3L, 3L), List.of(5L, 1L), List.of(9L), List.of(2L)), runs);
    }

    /** A unit that only has a size. */
    private record Sized(long tokens, long residentBytes) implements LayerSchedule.Unit {
        @Override
        public void begin() {
        }

        @Override
        public void layer(int l, Transformer.Workspace ws) {
        }

        @Override
        public void finish() {
        }
    }
}
