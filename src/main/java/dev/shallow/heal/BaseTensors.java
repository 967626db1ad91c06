package dev.shallow.heal;

import dev.shallow.tensor.Tensor;

/**
 * How a checkpoint's tensors become the frozen weights training reads, by Hugging Face name: views of the
 * mapped files ({@link #DENSE}), the layers' projections quantized to NF4 ({@link #NF4}), or copies a test perturbs.
 */
interface BaseTensors {
    /** Every tensor as stored. */
    BaseTensors DENSE = new BaseTensors() {
        @Override
        public Weight projection(String name, Tensor t) {
            return new DenseWeight(t);
        }
    };
    /** QLoRA: the layers' linear modules in NF4 with double quantization; embeddings, head, norms and biases as stored. */
    BaseTensors NF4 = new BaseTensors() {
        @Override
        public Weight projection(String name, Tensor t) {
            return Nf4.quantize(t);
        }
    };

    /** A layer's linear module. */
    Weight projection(String name, Tensor t);

    /** The embeddings or the head. */
    default Weight matrix(String name, Tensor t) {
        return new DenseWeight(t);
    }

    /** A norm's scale or bias, or a projection's bias (null stays null). */
    default float[] vector(String name, float[] v) {
        return v;
    }
}
