package dev.shallow.transformer;

import dev.shallow.Shared;
import dev.shallow.model.Model;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every golden model's logits and residual stream against the float64 reference on each matmul
 * backend and precision (GoldenForwardTest runs the default: f32, Vector API).
 */
class GoldenBackendsTest {
    @AfterEach
    void restore() {
        Matmul.restoreDefaults();
    }

    /** f32 with every product oneDNN takes on oneDNN (F32 weights; BF16 ones stay on the Vector API): the f32 tolerances. */
    @ParameterizedTest
    @MethodSource("dev.shallow.Shared#goldenModels")
    void oneDnnF32MatchesReference(String name) throws IOException {
        Matmul.setChoice(Matmul.Choice.ONEDNN);
        GoldenForwardTest.matchesReference(name, Shared.model(name));
    }

    /**
     * bf16 on both backends (auto puts BF16 weights on oneDNN, onednn F32 ones too). Rounding a
     * matmul input to bf16 moves its product by up to 2^-8 relative; each of the 2L sub-blocks adds
     * its output to the stream, so the stream may drift by up to 2L x 2^-8 of its size and the logits
     * (at most 23 in size in these goldens) by that times 23. The drift must also show (above the f32
     * tolerance): bf16 was applied.
     */
    @ParameterizedTest
    @MethodSource("dev.shallow.Shared#goldenModels")
    void bf16MatchesReferenceWithinItsRounding(String name) throws IOException {
        int layers;
        try (Model model = Model.load(Shared.model(name))) {
            layers = model.config().numLayers();
        }
        double residualTol = 2 * layers * 0x1p-8, logitTol = 23 * residualTol;
        Matmul.setPrecision(MatmulPrecision.BF16);
        for (Matmul.Choice c : new Matmul.Choice[] {Matmul.Choice.AUTO, Matmul.Choice.ONEDNN}) {
            Matmul.setChoice(c);
            double[] worst = GoldenForwardTest.matchesReference(name, Shared.model(name), logitTol, residualTol);
            assertTrue(worst[0] > GoldenForwardTest.LOGIT_TOL, c + ": bf16 logits as close as f32's: " + worst[0]);
        }
    }
}
