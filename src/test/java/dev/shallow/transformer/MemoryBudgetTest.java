package dev.shallow.transformer;

import dev.shallow.Shared;
import dev.shallow.ShallowException;
import dev.shallow.model.Model;
import org.junit.jupiter.api.Test;

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
            assertFalse(MemoryBudget.DEFAULT.schedule(tf, 1 << 20, 256).layerMajor());
            LayerSchedule s = MemoryBudget.parse("4m").schedule(tf, 1 << 20, 256);
            assertTrue(s.layerMajor());
            assertTrue(s.chunkBytes() >= 1);
            assertTrue(s.reason().contains("(11.5 MiB)") && s.reason().contains("memory budget of 4.0 MiB"), s.reason());
        }
    }
}
