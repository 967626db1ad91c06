package dev.shallow.sweep;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FractionsTest {
    @Test
    void rangeIncludesItsStopAndIsExact() {
        List<String> f = Fractions.parse("0:0.75:0.05");
        assertEquals(16, f.size());
        assertEquals("0", f.getFirst());
        assertEquals("0.1", f.get(2));
        assertEquals("0.75", f.getLast());
        assertEquals(List.of("0", "0.25", "0.5"), Fractions.parse("0:0.6:0.25"));
    }

    @Test
    void listIsSortedAndCanonical() {
        assertEquals(List.of("0", "0.1", "0.25"), Fractions.parse("0.25, 0.10,0"));
    }

    @Test
    void layersRoundHalfUpAndZeroIsTheBaseline() {
        assertEquals(0, Fractions.layers("0", 5));
        assertEquals(0, Fractions.layers("0.05", 5));
        assertEquals(1, Fractions.layers("0.1", 5));
        assertEquals(3, Fractions.layers("0.25", 10));
        assertEquals(4, Fractions.layers("0.8", 5));
    }

    @Test
    void badSpecsAreOneLineErrors() {
        assertMessage("0.5:0.2:0.1", "empty range");
        assertMessage("0:0.5:0", "step must be positive");
        assertMessage("0:0.5:-0.1", "step must be positive");
        assertMessage("0,0.2,0.2", "given twice");
        assertMessage("0,x", "'x' is not a number");
        assertMessage("0:1:0.25", "fraction 1 is not in [0, 1)");
        assertMessage("-0.1,0.2", "not in [0, 1)");
        assertMessage("0:0.5", "expected START:STOP:STEP");
    }

    @Test
    void aFractionRemovingEveryLayerIsRefused() {
        ShallowException e = assertThrows(ShallowException.class, () -> Fractions.layers("0.9", 5));
        assertTrue(e.getMessage().contains("0.9 of 5 layers rounds to 5, which removes every layer"), e.getMessage());
    }

    private static void assertMessage(String spec, String part) {
        ShallowException e = assertThrows(ShallowException.class, () -> Fractions.parse(spec));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains(spec), e.getMessage());
    }
}
