package dev.shallow.heal;

import dev.shallow.model.ModelConfig;
import dev.shallow.model.family.Families;
import dev.shallow.model.family.TensorNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One linear module of a decoder layer as the family's checkpoint stores it and PEFT adapts it: its path in
 * the layer ({@code self_attn.qkv_proj}), the projections its rows compute in order ([q | k | v] for a fused
 * module) and its shape [out, in].
 */
public record LinearModule(String path, List<Projection> parts, int in, int out) {

    /** PEFT's target_modules name: the path's last part, e.g. {@code qkv_proj}, {@code dense}, {@code fc1}. */
    public String name() {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** The first of this module's output rows that computes {@code part}. */
    int offset(Projection part, ModelConfig c) {
        int off = 0;
        for (Projection p : parts) {
            if (p == part) return off;
            off += p.out(c);
        }
        throw new IllegalArgumentException(path + " does not compute " + part);
    }

    /** The linear modules of a layer of {@code c}'s family, in the order of its forward pass (q, k, v, o, gate, up, down as it has them). */
    public static List<LinearModule> of(ModelConfig c) {
        TensorNames n = Families.of(c).names();
        List<LinearModule> m = new ArrayList<>(7);
        if (n.qkv() != null) {
            m.add(module(c, n.qkv(), Projection.Q, Projection.K, Projection.V));
        } else {
            m.add(module(c, n.q(), Projection.Q));
            m.add(module(c, n.k(), Projection.K));
            m.add(module(c, n.v(), Projection.V));
        }
        m.add(module(c, n.o(), Projection.O));
        if (n.gateUp() != null) {
            m.add(module(c, n.gateUp(), Projection.GATE, Projection.UP));
        } else {
            if (c.gatedMlp()) m.add(module(c, n.gate(), Projection.GATE));
            m.add(module(c, n.up(), Projection.UP));
        }
        m.add(module(c, n.down(), Projection.DOWN));
        return List.copyOf(m);
    }

    private static LinearModule module(ModelConfig c, String path, Projection... parts) {
        return new LinearModule(path, List.of(parts), parts[0].in(c), Arrays.stream(parts).mapToInt(p -> p.out(c)).sum());
    }
}
