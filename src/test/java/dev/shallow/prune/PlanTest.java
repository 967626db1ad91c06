package dev.shallow.prune;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.Analysis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plans as JSON: explicit lists, kept[new] = old, and a consistency check on reading. */
class PlanTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripKeepsEverything() {
        Analysis a = Analyses.perLayer(StrategyTest.BI, StrategyTest.MAGNITUDE, null);
        Plan plan = Plan.of(a.model(), Strategy.BI, LayerCount.ofFraction("0.5", 6), "0.5", 9, a, Path.of("analysis.json"));
        assertArrayEquals(new int[]{1, 2, 3}, plan.removed());
        assertArrayEquals(new int[]{0, 4, 5}, plan.kept());
        assertNull(plan.seed(), "the seed is recorded for the random strategy only");
        Path file = tmp.resolve("plan.json");
        plan.write(file);
        Plan back = Plan.read(file);
        assertEquals(plan.toJson(), back.toJson());
        assertEquals("hand-built", back.analysis().options().get("data").asText());
        assertArrayEquals(new double[]{0.2, 0.1, 0.1}, back.selection().values());
    }

    @Test
    void inconsistentPlansAreRefusedNamingTheFile() throws IOException {
        Path file = tmp.resolve("plan.json");
        ObjectNode good = Plan.of(Analyses.identity(6), Strategy.SEQUENTIAL, 2, null, 0, null, null).toJson();
        List<Consumer<ObjectNode>> edits = List.of(
                o -> o.set("kept", Plan.ints(new int[]{2, 3, 4})),
                o -> o.put("n", 3),
                o -> o.set("removed", Plan.ints(new int[]{1, 0})),
                o -> o.set("removed", Plan.ints(new int[]{0, 9})),
                o -> o.set("removed", Plan.ints(new int[]{0, 1, 2, 3, 4, 5})),
                o -> o.put("format", "other"));
        for (Consumer<ObjectNode> edit : edits) {
            ObjectNode bad = good.deepCopy();
            edit.accept(bad);
            Files.writeString(file, bad.toString());
            ShallowException e = assertThrows(ShallowException.class, () -> Plan.read(file), bad.toString());
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }
}
