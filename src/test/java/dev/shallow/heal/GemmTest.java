package dev.shallow.heal;

import dev.shallow.tensor.BF16Tensor;
import dev.shallow.tensor.DType;
import dev.shallow.tensor.Tensor;
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

    @Test
    void float32ProductsMatchDouble() {
        int rows = 300, cols = 3600; // 1.08M weights: two panels of rows (NF4 forward) and of columns (backprop)
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (float) (random.nextGaussian() * 0.05);
        Param param = new Param("p", rows, cols);
        System.arraycopy(values, 0, param.value(), 0, values.length);
        for (Weight w : new Weight[]{bf16(values, rows, cols), Nf4.quantize(values, rows, cols), param}) {
            for (int n : new int[]{2, 7}) {
                double[] x = randoms(n * cols), dy = randoms(n * rows);
                compare(w + " project n=" + n, n * rows, (pr, out) -> pr.project(x, n, w, out));
                compare(w + " backprop n=" + n, n * cols, (pr, out) -> pr.backprop(dy, n, w, out));
            }
        }
        int n = 9;
        double[] dy = randoms(n * rows), x = randoms(n * cols);
        compare("outer", rows * cols, (pr, out) -> pr.outer(dy, x, n, rows, cols, 0.5, out));
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

    static DenseWeight bf16(float[] values, int rows, int cols) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, BF16Tensor.fromFloat(values[i]));
        }
        return new DenseWeight(Tensor.of(DType.BF16, seg, new long[]{rows, cols}));
    }
}
