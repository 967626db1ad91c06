package dev.shallow.prune;

import dev.shallow.ShallowException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layer lists on the command line (0-indexed, inclusive ranges) and layer counts from --n / --fraction. */
class LayersTest {
    @Test
    void parsesIndicesAndInclusiveRanges() {
        assertArrayEquals(new int[]{21, 22, 23, 24, 25, 26, 27, 28, 29}, Layers.parse("21-29", 32));
        assertArrayEquals(new int[]{3, 5, 7, 8, 9}, Layers.parse("3,5,7-9", 16));
        assertArrayEquals(new int[]{3, 5, 7, 8, 9}, Layers.parse("7-9, 5 ,3", 16), "order and spaces do not matter; the result is sorted");
        assertArrayEquals(new int[]{4}, Layers.parse("4-4", 16));
        assertArrayEquals(new int[]{0, 15}, Layers.parse("0,15", 16));
    }

    @Test
    void formatsRunsAsRanges() {
        assertEquals("3,5,7-9", Layers.format(new int[]{3, 5, 7, 8, 9}));
        assertEquals("6-9", Layers.format(new int[]{6, 7, 8, 9}));
        assertEquals("8", Layers.format(new int[]{8}));
        assertEquals("", Layers.format(new int[0]));
    }

    static void refused(String spec, int numLayers, String why) {
        ShallowException e = assertThrows(ShallowException.class, () -> Layers.parse(spec, numLayers), spec);
        assertTrue(e.getMessage().contains(spec) && e.getMessage().contains(why), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void refusesBadLists() {
        refused("3-", 16, "not a layer index");
        refused("a-b", 16, "not a layer index");
        refused("-1", 16, "not a layer index");
        refused("1,,2", 16, "not a layer index");
        refused("", 16, "empty");
        refused("5-3", 16, "runs backwards");
        refused("2-4,4", 16, "given twice");
        refused("2-5,4-6", 16, "given twice");
        refused("16", 16, "does not exist");
        refused("3-99999999999", 16, "does not exist");
        refused("0-15", 16, "at least one layer must stay");
        refused("0-3,4", 5, "at least one layer must stay");
    }

    @Test
    void checksLayerSetsGivenAsArrays() {
        assertArrayEquals(new int[]{1, 3}, Layers.checkRemovable(new int[]{3, 1}, 5));
        assertThrows(ShallowException.class, () -> Layers.checkRemovable(new int[]{-1}, 5));
        assertThrows(ShallowException.class, () -> Layers.checkRemovable(new int[]{5}, 5));
        assertThrows(ShallowException.class, () -> Layers.checkRemovable(new int[]{1, 1}, 5));
        assertThrows(ShallowException.class, () -> Layers.checkRemovable(new int[0], 5));
        assertThrows(ShallowException.class, () -> Layers.checkRemovable(new int[]{0, 1, 2, 3, 4}, 5));
        assertArrayEquals(new int[]{0, 2, 4}, Layers.kept(new int[]{1, 3}, 5));
    }

    @Test
    void countsFromNAndFraction() {
        assertEquals(1, LayerCount.of(1, 16));
        assertEquals(15, LayerCount.of(15, 16));
        assertThrows(ShallowException.class, () -> LayerCount.of(0, 16));
        assertThrows(ShallowException.class, () -> LayerCount.of(-2, 16));
        assertThrows(ShallowException.class, () -> LayerCount.of(16, 16));
        assertEquals(4, LayerCount.ofFraction("0.25", 16));
        assertEquals(3, LayerCount.ofFraction("0.25", 10), "2.5 rounds half up");
        assertEquals(2, LayerCount.ofFraction("0.15", 10), "1.5 exactly, in decimal arithmetic: half up");
        assertEquals(1, LayerCount.ofFraction("0.149", 10), "1.49");
        assertEquals(1, LayerCount.ofFraction("0.05", 10), "0.5 rounds up to 1");
        assertEquals(15, LayerCount.ofFraction("0.95", 16), "15.2");
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("0.04", 10), "rounds to 0");
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("0.99", 16), "rounds to all 16");
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("0", 16));
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("1", 16));
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("1.5", 16));
        assertThrows(ShallowException.class, () -> LayerCount.ofFraction("quarter", 16));
    }
}
