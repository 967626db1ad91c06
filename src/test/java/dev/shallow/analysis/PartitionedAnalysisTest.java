package dev.shallow.analysis;

import dev.shallow.ShallowException;
import dev.shallow.Shared;
import dev.shallow.cluster.ShuffledCluster;
import dev.shallow.data.CalibrationOptions;
import dev.shallow.data.CalibrationSet;
import dev.shallow.model.Model;
import dev.shallow.tokenizer.Tokenizer;
import dev.shallow.transformer.MemoryBudget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The calibration set cut into 1 to 5 contiguous ranges, each measured on its own (through Java serialization, as on
 * an executor) and the partial sums merged in shuffled order ({@link ClusterCalibration} on a {@link ShuffledCluster}),
 * gives the local analysis bit for bit: every metric, the CKA matrix, the losses, the ablations (layers, sub-blocks,
 * heads) and every greedy removal; with batches that straddle the ranges' boundaries differently.
 */
class PartitionedAnalysisTest {
    static Model model;
    static CalibrationSet calibration;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.model("stories260K"));
        calibration = CalibrationSet.load(new CalibrationOptions("stories", "text", 8, 64, true, true, true, 0),
                Tokenizer.load(model.dir()), 512, Shared.root().resolve("data"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Every field of analysis.json (each number written as the shortest decimal that reads back to its bits) and the arrays themselves. */
    static void assertSameAnalysis(Analysis want, Analysis got, String where) {
        assertEquals(AnalysisJson.toJson(want), AnalysisJson.toJson(got), where);
        assertArrayEquals(want.angularDistance(), got.angularDistance(), where);
        assertArrayEquals(want.blockInfluence(), got.blockInfluence(), where);
        assertArrayEquals(want.relativeMagnitude(), got.relativeMagnitude(), where);
        assertArrayEquals(want.cka(), got.cka(), where);
        assertArrayEquals(want.ablationLoss(), got.ablationLoss(), where);
        assertEquals(want.baselineLoss(), got.baselineLoss(), 0.0, where);
        assertEquals(want.greedy(), got.greedy(), where);
    }

    /** The statistics pass (both token choices of the angular distance, CKA) in 1, 2, 3 and 5 ranges. */
    @Test
    void everyPartitionGivesTheLocalStatistics() {
        for (AngularTokens tokens : AngularTokens.values()) {
            AnalysisOptions o = new AnalysisOptions(tokens, false, 3, 64, 3, List.of(), 0);
            assertSamePartitioned(o, 1, 2, 3, 5);
        }
    }

    /** Every measurement: the ablations of layers, sub-blocks and heads, and the greedy removals by BI, angular distance, loss and sub-block. */
    @Test
    void everyMeasurementGivesTheLocalBits() {
        AnalysisOptions o = new AnalysisOptions(AngularTokens.ALL, true, 3, 64, 3, List.of(GreedyRemoval.Metric.values()), 2, MemoryBudget.DEFAULT, true, 1);
        Analysis local = assertSamePartitioned(o, 2, 5);
        assertEquals(3, local.greedy().size()); // every measurement is there to compare
        assertNotNull(local.ablationLoss());
        assertEquals(false, Double.isNaN(local.baselineLoss()));
        assertNotNull(local.subBlocks().heads());
        assertEquals(false, local.subBlocks().greedy().isEmpty());
    }

    /** The local analysis with {@code o}, after checking that each partition gives it. */
    private static Analysis assertSamePartitioned(AnalysisOptions o, int... partitions) {
        Analysis local = Analyser.run(model, calibration, o, Progress.NONE);
        assertNotNull(local.cka());
        for (int parts : partitions) {
            ShuffledCluster cluster = new ShuffledCluster(parts);
            Analysis split = Analyser.run(new ClusterCalibration(cluster, model, calibration.sequences(), parts), calibration, o, Progress.NONE);
            assertSameAnalysis(local, split, o.angularTokens().label() + " tokens, " + parts + " partitions");
            assertEquals(0, cluster.tasks() % parts, "each measurement is one task per partition");
        }
        return local;
    }

    @Test
    void morePartitionsThanSequencesIsRefusedNamingTheFlag() {
        ShallowException e = assertThrows(ShallowException.class, () -> new ClusterCalibration(new ShuffledCluster(0), model, calibration.sequences(), 9));
        assertEquals("--spark-partitions 9: must be 1..8 (one calibration sequence or more per partition)", e.getMessage());
    }
}
