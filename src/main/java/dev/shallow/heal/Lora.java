package dev.shallow.heal;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.SplittableRandom;

/**
 * The LoRA adapter (Hu et al. 2021) of one projection of one layer, as PEFT's lora.Linear:
 * y = x W^T + b + scaling * B A dropout(x), A [r, in], B [out, r]. Initialised as PEFT's default:
 * A by kaiming_uniform_(a = sqrt(5)), i.e. uniform in +-1 / sqrt(in), and B zero, so training
 * starts from the base model. Dropout (inverted: kept values scaled by 1 / (1 - p)) draws its mask
 * from a hash of (seed, key, position, projection, element), so a recomputed forward pass with the
 * same key drops the same elements and no mask is stored.
 *
 * @param position the layer's index in the trained (pruned) model, which names the PEFT tensors
 */
public record Lora(LinearModule target, int position, Param a, Param b, double scaling, double dropout, long seed) {
    /** The golden-ratio increment of SplitMix64's stream. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final VectorSpecies<Long> LANES = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DROPPED = DoubleVector.SPECIES_PREFERRED;

    /**
     * The adapter of module {@code index} ({@code target}) of the layer at {@code position}: A [r, in], B [out, r] (a fused
     * module's whole output), named as PEFT names it: base_model.model. + the checkpoint's name of the module.
     */
    static Lora create(LoraConfig config, String layerPrefix, int position, int index, LinearModule target) {
        String prefix = "base_model.model." + layerPrefix + position + "." + target.path();
        int in = target.in();
        Param a = new Param(prefix + ".lora_A.weight", config.rank(), in);
        Param b = new Param(prefix + ".lora_B.weight", target.out(), config.rank());
        long seed = mix(mix(config.seed()) ^ (position * 8L + index));
        SplittableRandom random = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(in); // kaiming_uniform_ gain sqrt(2 / (1 + a^2)) = sqrt(1/3), bound = gain * sqrt(3 / fan_in)
        float[] av = a.value();
        for (int i = 0; i < av.length; i++) av[i] = (float) ((2 * random.nextDouble() - 1) * bound);
        return new Lora(target, position, a, b, config.scaling(), config.dropout(), seed);
    }

    /**
     * x [len] with the mask of pass {@code key} applied (x itself when dropout is 0): element i dropped when
     * u_i = top 53 bits of mix(stream + GOLDEN (i + 1)) / 2^53 < p. Whole vectors of lanes in integer arithmetic
     * (exact, so the same bits as the element-wise tail would give), then the tail.
     */
    double[] drop(double[] x, int len, long key) {
        if (dropout == 0) return x;
        long stream = mix(seed ^ mix(key));
        double keep = 1 / (1 - dropout);
        double[] y = new double[len];
        int lanes = LANES.length(), i = 0;
        LongVector offsets = LongVector.zero(LANES).addIndex(1).add(1).mul(GOLDEN); // GOLDEN (lane + 1)
        for (; i + lanes <= len; i += lanes) {
            LongVector z = mix(offsets.add(stream + GOLDEN * i));
            DoubleVector u = ((DoubleVector) z.lanewise(VectorOperators.LSHR, 11).convert(VectorOperators.L2D, 0)).mul(0x1.0p-53);
            DoubleVector.fromArray(DROPPED, x, i).mul(keep).blend(0, u.lt(dropout)).intoArray(y, i); // inverted dropout: E[y] = x
        }
        for (; i < len; i++) {
            double u = (mix(stream + GOLDEN * (i + 1L)) >>> 11) * 0x1.0p-53;
            y[i] = u < dropout ? 0 : x[i] * keep;
        }
        return y;
    }

    /** SplitMix64's finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** {@link #mix(long)} in every lane. */
    private static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }
}
