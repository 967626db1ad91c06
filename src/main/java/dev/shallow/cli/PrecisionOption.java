package dev.shallow.cli;

import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --precision f32|bf16 and --matmul auto|vector|onednn: how and where the matrix products run ({@link Matmul}). */
final class PrecisionOption {
    @Option(names = "--precision", paramLabel = "f32|bf16", converter = Precisions.class,
            description = "Matmul inputs: f32 (default) or bf16 (activations rounded to bfloat16 at each matmul input, float32 accumulation, as Hugging Face runs a bf16 model).")
    void setPrecision(MatmulPrecision p) {
        Matmul.setPrecision(p);
    }

    @Option(names = "--matmul", paramLabel = "auto|vector|onednn", converter = Choices.class,
            description = "Matmul backend: auto (default: bf16 products of BF16 weights on oneDNN where the CPU has bf16 instructions, the rest on the Vector API), vector, or onednn (every product it takes).")
    void setChoice(Matmul.Choice c) {
        Matmul.setChoice(c);
    }

    static final class Precisions implements ITypeConverter<MatmulPrecision> {
        @Override
        public MatmulPrecision convert(String value) {
            for (MatmulPrecision p : MatmulPrecision.values()) if (p.label().equals(value)) return p;
            throw new TypeConversionException("'" + value + "' is not f32 or bf16");
        }
    }

    static final class Choices implements ITypeConverter<Matmul.Choice> {
        @Override
        public Matmul.Choice convert(String value) {
            for (Matmul.Choice c : Matmul.Choice.values()) if (c.name().toLowerCase(Locale.ROOT).equals(value)) return c;
            throw new TypeConversionException("'" + value + "' is not auto, vector or onednn");
        }
    }
}
