package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded, bounded fuzzing of what Shallow reads: truncations, byte flips and JSON mutations of the safetensors header,
 * config.json, tokenizer.json and data rows of stories260K. Every case either behaves exactly as the original (same
 * output) or fails with exit 1 and one line "shallow: ..."; never another exit code, a stack trace, a hang or a file
 * written. Accepted mutations that change what the model computes are counted by file and printed: for config.json they
 * are config validation's business (issue #23, part a), for data rows they are mutations of the text itself; for
 * tokenizer.json they fail the test unless Hugging Face tokenizers accepts them too.
 */
class FuzzTest {
    static final int CASES = 300;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] FILES = {"model.safetensors", "config.json", "tokenizer.json", "data.jsonl"};
    private static final JsonNode[] VALUES = {JsonNodeFactory.instance.textNode(""), JsonNodeFactory.instance.textNode("x"),
            JsonNodeFactory.instance.numberNode(-1), JsonNodeFactory.instance.numberNode(0), JsonNodeFactory.instance.numberNode(1e308),
            JsonNodeFactory.instance.numberNode(2147483648L), JsonNodeFactory.instance.numberNode(Long.MAX_VALUE),
            JsonNodeFactory.instance.numberNode(-0.5), JsonNodeFactory.instance.booleanNode(true), JsonNodeFactory.instance.nullNode(),
            JsonNodeFactory.instance.arrayNode(), JsonNodeFactory.instance.objectNode(), JsonNodeFactory.instance.textNode("NaN")};

    /**
     * tokenizer.json mutations that Hugging Face tokenizers accepts too, and then behaves differently as well: a vocab
     * entry removed or renamed (a gap in the ids, a token no merge names) and a byte flipped inside a string.
     */
    private static final Pattern ACCEPTED_BY_HF = Pattern.compile("^(bytes flipped at|JSON (removed|renamed) \\.model\\.vocab\\.)");

    @TempDir
    Path tmp;
    private final Random random = new Random(23);

    /** What a case did: refused in one line, or accepted with the original's output or another. */
    enum Outcome { REFUSED, SAME, DIFFERENT }

    private String[] command(Path model, Path data, Path out) {
        return new String[]{"analyse", model.toString(), "--data", data.toString(), "--samples", "2", "--seq-len", "24", "--per-document",
                "--no-shuffle", "--cka-tokens", "0", "--out", out.toString()};
    }

    /** What the run shows of the model and data: the analysis summary on stdout and a short greedy continuation. */
    private String behaviour(Path model, Path data, Path out) throws IOException {
        CliTest.Run a = CliTest.run(command(model, data, out));
        CliTest.Run g = a.code() == 0 ? CliTest.run("generate", model.toString(), "--max-tokens", "6", "--prompt", "Once upon a") : a;
        if (a.code() == 0) Files.delete(out);
        if (a.code() == 0 && g.code() == 0) return a.out().replace(model.toString(), "MODEL") + g.out();
        CliTest.Run failed = a.code() != 0 ? a : g;
        assertEquals(1, failed.code(), "exit code of a refused input: " + failed.err());
        String[] lines = failed.err().strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("shallow: ") && !last.contains("internal error"), failed.err());
        assertTrue(Arrays.stream(lines).noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")), "a stack trace: " + failed.err());
        return null;
    }

    @Test
    void mutatedInputsLoadIdenticallyOrFailInOneLine() throws Exception {
        Path original = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("original"));
        Path data = Files.copy(Path.of("data/stories260K-heldout-16.jsonl"), tmp.resolve("data.jsonl"));
        Path out = tmp.resolve("out").resolve("analysis.json");
        Files.createDirectories(out.getParent());
        String expected = behaviour(original, data, out);
        Map<String, Integer> refused = new TreeMap<>(), different = new TreeMap<>();
        Map<String, List<String>> changed = new TreeMap<>();
        Path model = tmp.resolve("case"), caseData = tmp.resolve("case.jsonl");
        for (int c = 0; c < CASES; c++) {
            String file = FILES[c % FILES.length];
            Path target = file.equals("data.jsonl") ? caseData : model.resolve(file);
            Shared.copyModel(original, model);
            Files.copy(data, caseData);
            byte[] bytes = Files.readAllBytes(target);
            String kind = switch (random.nextInt(3)) {
                case 0 -> truncate(target, bytes);
                case 1 -> flip(target, bytes, file.equals("model.safetensors") ? headerEnd(bytes) : bytes.length);
                default -> file.equals("model.safetensors") ? mutateHeader(target, bytes) : mutateJson(target, bytes, file.equals("data.jsonl"));
            };
            String label = "case " + c + ": " + file + " " + kind;
            String seen = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> behaviour(model, caseData, out), label);
            Outcome o = seen == null ? Outcome.REFUSED : seen.equals(expected) ? Outcome.SAME : Outcome.DIFFERENT;
            if (o == Outcome.REFUSED) refused.merge(file, 1, Integer::sum);
            if (o == Outcome.DIFFERENT) {
                different.merge(file, 1, Integer::sum);
                changed.computeIfAbsent(file, f -> new ArrayList<>()).add(kind);
            }
            try (Stream<Path> s = Files.list(out.getParent())) {
                assertEquals(0, s.count(), label + ": nothing may be left written");
            }
            deleteTree(model);
            Files.delete(caseData);
        }
        System.out.printf("fuzz: %d cases; refused in one line %s; accepted with another behaviour %s: %s%n", CASES, refused, different, changed);
        assertEquals(0, different.getOrDefault("model.safetensors", 0), "a safetensors header mutation accepted with another behaviour");
        List<String> tokenizer = changed.getOrDefault("tokenizer.json", List.of());
        assertEquals(List.of(), tokenizer.stream().filter(k -> !ACCEPTED_BY_HF.matcher(k).find()).toList(),
                "tokenizer.json mutations accepted with another behaviour that Hugging Face tokenizers refuses");
    }

    /** Cuts the file at a random length. */
    private String truncate(Path target, byte[] bytes) throws IOException {
        int at = random.nextInt(bytes.length);
        Files.write(target, Arrays.copyOf(bytes, at));
        return "truncated to " + at + " bytes";
    }

    /** Flips one to three random bytes among the first {@code end}. */
    private String flip(Path target, byte[] bytes, int end) throws IOException {
        byte[] b = bytes.clone();
        StringBuilder what = new StringBuilder("bytes flipped at");
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            int at = random.nextInt(end);
            b[at] ^= (byte) (1 + random.nextInt(255));
            what.append(' ').append(at);
        }
        Files.write(target, b);
        return what.toString();
    }

    /** The end of the safetensors header: 8 + its length. */
    private static int headerEnd(byte[] bytes) {
        return (int) (8 + ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
    }

    /** A JSON mutation of the header, written back with its new length before the unchanged data. */
    private String mutateHeader(Path target, byte[] bytes) throws IOException {
        int end = headerEnd(bytes);
        JsonNode header = JSON.readTree(Arrays.copyOfRange(bytes, 8, end));
        String what = mutate(header);
        byte[] json = JSON.writeValueAsBytes(header);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + bytes.length - end).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put(bytes, end, bytes.length - end);
        Files.write(target, b.array());
        return "header " + what;
    }

    /** A JSON mutation of the document, or of one row of a JSON lines file. */
    private String mutateJson(Path target, byte[] bytes, boolean lines) throws IOException {
        if (!lines) {
            JsonNode doc = JSON.readTree(bytes);
            String what = mutate(doc);
            Files.write(target, JSON.writeValueAsBytes(doc));
            return "JSON " + what;
        }
        List<String> rows = new ArrayList<>(List.of(new String(bytes, StandardCharsets.UTF_8).split("\n")));
        int row = random.nextInt(rows.size());
        JsonNode doc = JSON.readTree(rows.get(row));
        String what = mutate(doc);
        rows.set(row, JSON.writeValueAsString(doc));
        Files.writeString(target, String.join("\n", rows) + "\n");
        return "row " + row + " " + what;
    }

    /** Replaces, removes or renames one random member of {@code root}; says which. */
    private String mutate(JsonNode root) {
        List<String> paths = new ArrayList<>();
        List<JsonNode> parents = new ArrayList<>();
        List<Object> keys = new ArrayList<>();
        collect(root, "", paths, parents, keys);
        if (paths.isEmpty()) return "(empty, unchanged)";
        int i = random.nextInt(paths.size());
        JsonNode parent = parents.get(i);
        Object key = keys.get(i);
        int op = random.nextInt(3);
        if (parent instanceof ObjectNode o && op == 1) {
            o.remove((String) key);
            return "removed " + paths.get(i);
        }
        if (parent instanceof ObjectNode o && op == 2) {
            o.set(key + "x", o.remove((String) key));
            return "renamed " + paths.get(i);
        }
        JsonNode value = VALUES[random.nextInt(VALUES.length)].deepCopy();
        if (parent instanceof ObjectNode o) o.set((String) key, value);
        else ((ArrayNode) parent).set((Integer) key, value);
        return paths.get(i) + " = " + value;
    }

    /** Every member of {@code node} (at most the first 40 of an array, so big vocabularies do not drown the rest). */
    private static void collect(JsonNode node, String path, List<String> paths, List<JsonNode> parents, List<Object> keys) {
        if (node instanceof ObjectNode o) {
            o.properties().forEach(e -> {
                paths.add(path + "." + e.getKey());
                parents.add(o);
                keys.add(e.getKey());
                if (paths.size() < 4000) collect(e.getValue(), path + "." + e.getKey(), paths, parents, keys);
            });
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < Math.min(a.size(), 40); i++) {
                paths.add(path + "[" + i + "]");
                parents.add(a);
                keys.add(i);
                collect(a.get(i), path + "[" + i + "]", paths, parents, keys);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
