package dev.shallow.heal;

import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import dev.shallow.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * FLOAT32's products (Linear's GEMM on views and materialised panels) against FLOAT64's plain
 * loops on the same weights: dense BF16, NF4 and a LoRA param, with shapes that need several
 * panels (rows x cols above Gemm.PANEL_FLOATS) and token counts on both sides of Linear's GEMV/GEMM
 * switch. Float32 products of length K with inputs of order 1 are off by about sqrt(K) 6e-8 |x||w|:
 * tolerance 1e-5 of the largest output.
 */
class GemmTest {
    final SplittableRandom random = new SplittableRandom(3);

    @AfterEach
    void restore() {
        Matmul.restoreDefaults();
    }

    /** On each backend (oneDNN takes the F32 panels and params, the Vector API the BF16 views). */
    @Test
    void float32ProductsMatchDouble() {
        for (Matmul.Choice c : new Matmul.Choice[] {Matmul.Choice.VECTOR, Matmul.Choice.ONEDNN}) {
            Matmul.setChoice(c);
            productsMatchDouble(MatmulPrecision.F32);
        }
    }

    /** bf16 rounds every product's activation inputs (x, dy, and x of the weight gradient): FLOAT64 on the rounded inputs, same tolerance. */
    @Test
    void bf16ProductsAreThoseOfRoundedInputs() {
        Matmul.setPrecision(MatmulPrecision.BF16);
        productsMatchDouble(MatmulPrecision.BF16);
    }

    void productsMatchDouble(MatmulPrecision p) {
        int rows = 300, cols = 3600; // 1.08M weights: two panels of rows (NF4 forward) and of columns (backprop)
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * 0.05);
        Param param = new Param("p", rows, cols);
        System.arraycopy(values, 0, param.value(), 0, values.length);
        for (Weight w : new Weight[]{bf16(values, rows, cols), Nf4.quantize(values, rows, cols), param}) {
            for (int n : new int[]{2, 7}) {
                double[] x = randoms(n * cols), dy = randoms(n * rows);
                compare(w + " project n=" + n, n * rows, (pr, out) -> pr.project(in(pr, x, p), n, w, out));
                compare(w + " backprop n=" + n, n * cols, (pr, out) -> pr.backprop(in(pr, dy, p), n, w, out));
            }
        }
        int n = 9;
        double[] dy = randoms(n * rows), x = randoms(n * cols);
        compare("outer", rows * cols, (pr, out) -> pr.outer(in(pr, dy, p), in(pr, x, p), n, rows, cols, 0.5, out));
    }

    interface Product {
        void run(Precision p, double[] out);
    }

    static void compare(String what, int size, Product product) {
        double[] fast = new double[size], exact = new double[size];
        product.run(Precision.FLOAT32, fast);
        product.run(Precision.FLOAT64, exact);
        double scale = 0, worst = 0;
        for (double v : exact) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < size; i++) worst = Math.max(worst, Math.abs(fast[i] - exact[i]));
        assertTrue(scale > 0 && worst <= 1e-5 * scale, what + ": " + worst + " of " + scale);
    }

    double[] randoms(int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = 2 * random.nextDouble() - 1;
        return a;
    }

    /** The activations a product of pr multiplies: as given for FLOAT32 (which rounds them to p itself), rounded to p for FLOAT64. */
    static double[] in(Precision pr, double[] a, MatmulPrecision p) {
        if (pr == Precision.FLOAT32) return a;
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = p.round((float) a[i]);
        return r;
    }

    static DenseWeight bf16(float[] values, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, BF16Tensor.fromFloat(values[i]));
        }
        return new DenseWeight(Tensor.of(DType.BF16, seg, new long[]{rows, cols}));
    }
}
