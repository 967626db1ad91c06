package dev.shallow.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shallow.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The GEMM's tile depends on the vector width (2 x 12 with 512-bit vectors, 2 x 6 with 256-bit ones)
 * but each output is the same chain of fused multiply-adds: a JVM forced onto 256-bit vectors
 * (-Dshallow.vector.bits=256, the AVX2 kernels) gives this JVM's bits, with another thread count too.
 */
class VectorWidthTest {
    /** Prints the vector width, the tile's rows and a hash of the GEMM's output bits. */
    public static void main(String[] args) {
        System.out.println(Linear.S.vectorBitSize() + " " + VectorGemm.NR + " " + product());
    }

    static int product() {
        Matmul.setChoice(Matmul.Choice.VECTOR);
        Tensor w = LinearTest.heapWeights(DType.BF16, 301, 777, 1);
        float[] x = LinearTest.randoms(150 * 777, 2), y = LinearTest.apply(x, 150, w, LinearTest.randoms(301, 3));
        Matmul.setChoice(Matmul.Choice.AUTO);
        return Arrays.hashCode(y);
    }

    @Test
    void avx2KernelsGiveTheSameBits() throws IOException, InterruptedException {
        ProcessBuilder pb = ChildJvm.of(VectorWidthTest.class).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Dshallow.vector.bits=256 -Dshallow.threads=1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals("256 6 " + product(), out);
    }
}
