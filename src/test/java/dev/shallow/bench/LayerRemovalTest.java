package dev.shallow.bench;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerRemovalTest {
    @Test
    void removesTheDeepestLayersExceptTheLast() {
        LayerRemoval quarter = LayerRemoval.deepestExceptLast("0.25", 22);
        assertArrayEquals(new int[]{15, 16, 17, 18, 19, 20}, quarter.removed());
        assertArrayEquals(IntStream.concat(IntStream.range(0, 15), IntStream.of(21)).toArray(), quarter.kept());
        assertEquals("15-20", quarter.removedRange());
        assertEquals("-25% layers", quarter.label());
        assertEquals(22.0 / 16, quarter.idealSpeedup(), 1e-12);
        LayerRemoval half = LayerRemoval.deepestExceptLast("0.5", 22);
        assertArrayEquals(IntStream.rangeClosed(10, 20).toArray(), half.removed());
        assertEquals(2.0, half.idealSpeedup(), 1e-12);
    }

    @Test
    void roundsHalfUpAsPruneDoes() {
        assertArrayEquals(new int[]{3}, LayerRemoval.deepestExceptLast("0.25", 5).removed());
        assertArrayEquals(new int[]{1, 2, 3}, LayerRemoval.deepestExceptLast("0.5", 5).removed());
    }

    @Test
    void theFullModelRemovesNothing() {
        LayerRemoval none = LayerRemoval.none(5);
        assertArrayEquals(new int[]{0, 1, 2, 3, 4}, none.kept());
        assertEquals(1.0, none.idealSpeedup());
        assertEquals("-", none.removedRange());
        assertEquals("full", none.label());
    }

    @Test
    void aModelTooSmallToPruneIsRefused() {
        ShallowException e = assertThrows(ShallowException.class, () -> LayerRemoval.deepestExceptLast("0.25", 1));
        assertTrue(e.getMessage().contains("0.25 of 1 layers"), e.getMessage());
    }
}
