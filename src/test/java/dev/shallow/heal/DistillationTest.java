package dev.shallow.heal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The distillation loss at the head and its gradient w.r.t. the student's logits against our own PyTorch float64 autograd
 * ({@code kd_loss.py}: the top-k teacher probabilities scattered into a full distribution, torch's kl_div, cross-entropy),
 * on random logits (spread 4, so the top-k leave real mass out) for several temperatures, top-k and mixes.
 * Both sides compute in double from the same float teacher logits: asserted within 1e-12 (measured in the printed line).
 */
class DistillationTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "T {0}, top-{1}, alpha {2}")
    @CsvSource({"1, 64, 1", "2, 16, 1", "0.5, 8, 0.3", "4, 100, 0.5", "1.5, 3, 0.7", "1, 32, 0"})
    void lossAndGradientMatchPyTorch(double temperature, int topK, double alpha, @TempDir Path tmp) throws Exception {
        int rows = 6, vocab = 100;
        SplittableRandom random = new SplittableRandom(topK * 31L + rows);
        double[][] student = new double[rows][vocab];
        float[][] teacher = new float[rows][vocab];
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < vocab; j++) {
                student[r][j] = 4 * random.nextGaussian();
                teacher[r][j] = (float) (4 * random.nextGaussian());
            }
            targets[r] = random.nextInt(vocab);
        }
        KdOptions kd = new KdOptions(topK, temperature, alpha, 0);
        int[] ids = new int[rows * topK];
        float[] top = new float[rows * topK];
        double[] z = new double[rows * vocab];
        for (int r = 0; r < rows; r++) {
            TopK.select(teacher[r], 0, vocab, topK, ids, top, r * topK);
            System.arraycopy(student[r], 0, z, r * vocab, vocab);
        }
        Distillation d = new Distillation(kd, ids, top);
        double loss = 0;
        for (int r = 0; r < rows; r++) loss += d.lossAndGradient(z, r * vocab, vocab, r, targets[r], 1.0 / rows);
        loss /= rows;

        ObjectNode req = JSON.createObjectNode();
        req.set("student", JSON.valueToTree(student));
        double[][] exact = new double[rows][vocab]; // a float's shortest decimal would parse as another double
        for (int r = 0; r < rows; r++) for (int j = 0; j < vocab; j++) exact[r][j] = teacher[r][j];
        req.set("teacher", JSON.valueToTree(exact));
        req.set("targets", JSON.valueToTree(targets));
        req.put("top_k", topK);
        req.put("temperature", temperature);
        req.put("alpha", alpha);
        JsonNode torch = TorchReferenceTest.python(List.of("/heal/kd_loss.py"), req, tmp);
        assertEquals(torch.path("loss").asDouble(), loss, 1e-12);
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < vocab; j++) {
                double want = torch.path("grad").get(r).get(j).asDouble();
                assertEquals(want, z[r * vocab + j], 1e-12, "row " + r + " logit " + j);
                worst = Math.max(worst, Math.abs(want - z[r * vocab + j]));
            }
        }
        System.out.printf("T %s, top-%d, alpha %s: loss %.6f, |loss - torch| %.1e, max |grad - torch| %.1e%n", temperature, topK, alpha, loss,
                Math.abs(loss - torch.path("loss").asDouble()), worst);
    }

    /** The teacher's top-k: largest first, ties in index order, for k below, at and above the distinct values. */
    @Test
    void topKIsTheLargestInOrder() {
        float[] x = {1, 5, 3, 5, -2, 3};
        int[] ids = new int[4];
        float[] values = new float[4];
        TopK.select(x, 0, x.length, 4, ids, values, 0);
        assertArrayEquals(new int[]{1, 3, 2, 5}, ids);
        assertArrayEquals(new float[]{5, 5, 3, 3}, values);
        TopK.select(x, 2, 3, 2, ids, values, 1);
        assertArrayEquals(new int[]{1, 1, 0, 5}, ids, "from offset 2: 5 (index 1 of the row) then 3 (index 0)");
    }

    @Test
    void optionsOutOfRangeAreRefused() {
        for (Runnable bad : List.<Runnable>of(() -> new KdOptions(0, 1, 1, 0), () -> new KdOptions(8, 0, 1, 0), () -> new KdOptions(8, 1, 1.5, 0),
                () -> new KdOptions(8, 1, 1, -1))) {
            assertThrows(dev.shallow.ShallowException.class, bad::run);
        }
    }
}
