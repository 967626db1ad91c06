package dev.shallow.cli;

import dev.shallow.tensor.Matmul;
import dev.shallow.tensor.MatmulPrecision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** --precision f32|bf16 and --matmul auto|vector|onednn: how and where the matrix products run ({@link Matmul}). */
final class PrecisionOption {
    @Option(names = "--precision", paramLabel = "f32|bf16", converter = Precisions.class,
            description = "Matmul inputs: f32 (default) or bf16 (activations rounded to bfloat16 at each matmul input, float32 accumulation, as Hugging Face runs a bf16 model).")
    void setPrecision(MatmulPrecision p) {
        Matmul.setPrecision(p);
    }

    @Mixin
    MatmulChoiceOption matmul;

    static final class Precisions implements ITypeConverter<MatmulPrecision> {
        @Override
        public MatmulPrecision convert(String value) {
            for (MatmulPrecision p : MatmulPrecision.values()) if (p.label().equals(value)) return p;
            throw new TypeConversionException("'" + value + "' is not f32 or bf16");
        }
    }
}
