package dev.shallow.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.bench.LlamaCppProcess;

import java.nio.file.Path;
import java.time.Duration;

/**
 * llama.cpp as a test oracle: one node process ({@link LlamaCppProcess} on tools/llamacpp/oracle.mjs) answering typed requests
 * on a GGUF: tokenization, greedy continuations, and the next-token log-probabilities at every position of a sequence.
 * Every request runs on 1 thread (llama.cpp's threads spin at each operation's barrier, which on a busy machine made these
 * checks 10 times slower; each output element is computed by one thread whatever their number), a float32 KV cache and no
 * flash attention, so llama.cpp computes in float32 throughout on float32 weights. Fails (never skips) when llama.cpp is not
 * installed.
 */
final class LlamaCpp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** ln of float32's smallest normal number: below it llama.cpp's float32 probability is denormal or 0 and its log imprecise or null. */
    static final double LN_FLOAT_MIN_NORMAL = Math.log(Float.MIN_NORMAL);

    private final LlamaCppProcess process = LlamaCppProcess.start(LlamaCppProcess.script(Path.of("").toAbsolutePath()));

    /** A request on {@code gguf}; add parts, then {@link #run}. */
    Request on(Path gguf) {
        ObjectNode r = JSON.createObjectNode();
        r.put("model", gguf.toAbsolutePath().toString());
        r.put("threads", 1);
        r.put("context_size", 512);
        r.put("kv_cache_type", "F32");
        r.put("flash_attention", false);
        return new Request(r);
    }

    Answer run(Request r) {
        return new Answer(process.request(r.json, TIMEOUT));
    }

    @Override
    public void close() {
        process.close();
    }

    static final class Request {
        final ObjectNode json;

        private Request(ObjectNode json) {
            this.json = json;
        }

        /** llama_tokenize of {@code text} (parsing special tokens such as {@code <s>} when {@code special}), BOS prepended when {@code bos}. */
        Request tokenize(String text, boolean special, boolean bos) {
            json.withArrayProperty("tokenize").addObject().put("text", text).put("special", special).put("bos", bos);
            return this;
        }

        /** {@code tokens} greedy tokens after {@code prompt}, not stopping at end-of-generation tokens. */
        Request generate(int[] prompt, int tokens) {
            ObjectNode g = json.withArrayProperty("generate").addObject();
            g.set("prompt", ids(prompt));
            g.put("tokens", tokens).put("stop_at_eog", false);
            return this;
        }

        /** The distribution of the next token at every position of {@code tokens}, over the whole vocabulary. */
        Request logprobs(int[] tokens) {
            json.withArrayProperty("logprobs").addObject().set("tokens", ids(tokens));
            return this;
        }

        private static ArrayNode ids(int[] ids) {
            ArrayNode a = JSON.createArrayNode();
            for (int id : ids) a.add(id);
            return a;
        }
    }

    record Answer(JsonNode json) {
        int[] tokenize(int i) {
            return ints(json.path("tokenize").get(i));
        }

        int[] generate(int i) {
            return ints(json.path("generate").get(i));
        }

        /** [position][token id] log p; NaN where llama.cpp's float32 probability was 0. */
        double[][] logprobs(int i) {
            JsonNode positions = json.path("logprobs").get(i);
            double[][] out = new double[positions.size()][];
            for (int t = 0; t < out.length; t++) {
                JsonNode lp = positions.get(t).path("logprobs");
                out[t] = new double[lp.size()];
                for (int v = 0; v < lp.size(); v++) out[t][v] = lp.get(v).isNull() ? Double.NaN : lp.get(v).asDouble();
            }
            return out;
        }

        /** llama.cpp's greedy choice after each position of sequence {@code i} of the log-probability requests. */
        int[] greedy(int i) {
            JsonNode positions = json.path("logprobs").get(i);
            int[] out = new int[positions.size()];
            for (int t = 0; t < out.length; t++) out[t] = positions.get(t).path("greedy").asInt();
            return out;
        }

        String version() {
            JsonNode v = json.path("llama_cpp");
            return "node-llama-cpp " + v.path("node_llama_cpp").asText() + ", llama.cpp " + v.path("release").asText();
        }

        private static int[] ints(JsonNode a) {
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
            return out;
        }
    }
}
