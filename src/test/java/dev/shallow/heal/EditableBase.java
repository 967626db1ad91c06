package dev.shallow.heal;

import dev.shallow.model.Model;
import dev.shallow.tensor.Tensor;
import dev.shallow.transformer.Transformer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A base model whose every weight is a heap float copy a test can perturb, found by Hugging Face tensor name
 * (Gemma's norm scales hold 1 + w: the same derivative as w).
 */
record EditableBase(Base base, Map<String, float[]> values) {

    static EditableBase copy(Model model) {
        Map<String, float[]> values = new LinkedHashMap<>();
        BaseTensors copies = new BaseTensors() {
            @Override
            public Weight projection(String name, Tensor t) {
                return matrix(name, t);
            }

            @Override
            public Weight matrix(String name, Tensor t) {
                Param p = new Param(name, t.rows(), t.cols());
                t.copyTo(0, p.value(), 0, p.value().length);
                values.put(name, p.value());
                return p;
            }

            @Override
            public float[] vector(String name, float[] v) {
                if (v == null) return null;
                float[] copy = v.clone();
                values.put(name, copy);
                return copy;
            }
        };
        return new EditableBase(Base.load(model, Transformer.allLayers(model.config().numLayers()), copies), values);
    }
}
