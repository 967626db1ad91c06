package dev.shallow.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** A tokenizers post-processor (processors/*.rs) for one sequence: adds special tokens around the ids. */
interface PostProcessor {

    /** The ids with the special tokens added. */
    int[] process(int[] ids);

    /**
     * The special tokens placed before and after the sequence, each as its ids (what bosId/eosId fall back on).
     * Empty lists for processors that add none.
     */
    List<int[]> before();

    List<int[]> after();

    /** The post-processor a tokenizer.json "post_processor" object describes. */
    static PostProcessor from(JsonNode node, Spec spec) {
        String type = spec.type(node, "post_processor");
        return switch (type) {
            case "TemplateProcessing" -> TemplateJson.read(node, spec);
            case "ByteLevel" -> new Template(List.of(), List.of());
            case "RobertaProcessing", "BertProcessing" -> new Template(List.of(new int[] {specialId(node, "cls", spec)}),
                    List.of(new int[] {specialId(node, "sep", spec)}));
            case "Sequence" -> new Chain(spec.components(node, "processors", "post_processor Sequence", PostProcessor::from));
            default -> throw spec.unknown("post_processor", type);
        };
    }

    /** The id of Roberta/BertProcessing's {@code "cls": ["<s>", 0]} or {@code "sep"}. */
    private static int specialId(JsonNode node, String field, Spec spec) {
        JsonNode pair = node.get(field);
        if (pair == null || !pair.isArray() || pair.size() != 2) throw spec.fail("post_processor." + field + ": must be [token, id]");
        return spec.index(pair.get(1), "post_processor." + field + "[1]");
    }

    /** processors::template single-sequence template: special tokens before and after $A (ByteLevel, Roberta and Bert are special cases). */
    record Template(List<int[]> before, List<int[]> after) implements PostProcessor {
        /**
         * [bos] $A [eos], each where present: transformers LlamaTokenizerFast.update_post_processor, sentencepiece's
         * add_bos/add_eos, llama.cpp's add_bos_token/add_eos_token.
         */
        static Template around(OptionalInt bos, OptionalInt eos) {
            List<int[]> before = new ArrayList<>(), after = new ArrayList<>();
            bos.ifPresent(id -> before.add(new int[] {id}));
            eos.ifPresent(id -> after.add(new int[] {id}));
            return new Template(before, after);
        }

        public int[] process(int[] ids) {
            IntList out = new IntList();
            for (int[] t : before) out.addAll(t);
            out.addAll(ids);
            for (int[] t : after) out.addAll(t);
            return out.toArray();
        }
    }

    /** processors::sequence: each processor in turn. */
    record Chain(List<PostProcessor> parts) implements PostProcessor {
        public int[] process(int[] ids) {
            for (PostProcessor p : parts) ids = p.process(ids);
            return ids;
        }

        public List<int[]> before() {
            List<int[]> all = new ArrayList<>();
            for (PostProcessor p : parts.reversed()) all.addAll(p.before());
            return all;
        }

        public List<int[]> after() {
            List<int[]> all = new ArrayList<>();
            for (PostProcessor p : parts) all.addAll(p.after());
            return all;
        }
    }
}
