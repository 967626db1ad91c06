package dev.shallow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.Shared;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.shallow.cli.CliTest.assertOneLineError;
import static dev.shallow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --modelfile}: Ollama's Modelfile beside a GGUF that prune or convert writes, read back with Ollama's grammar
 * (parser/parser.go: one instruction per line, FROM / PARAMETER / TEMPLATE / SYSTEM / ADAPTER / LICENSE / MESSAGE, case
 * insensitive, a value in triple quotes may span lines, # starts a comment), and the chat templates a GGUF carries
 * between Hugging Face's tokenizer_config.json and llama.cpp's tokenizer.chat_template keys.
 */
class OllamaModelfileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COMMANDS = List.of("from", "parameter", "template", "system", "adapter", "license", "message");

    @TempDir
    Path tmp;

    record Instruction(String command, String args) {
    }

    /** The Modelfile's instructions as Ollama's parser splits them; anything else fails the test. */
    static List<Instruction> parse(Path modelfile) throws IOException {
        List<Instruction> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(modelfile);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            int space = line.indexOf(' ');
            assertTrue(space > 0, "line without arguments: " + line);
            String command = line.substring(0, space).toLowerCase(Locale.ROOT), args = line.substring(space + 1).strip();
            assertTrue(COMMANDS.contains(command), "not an Ollama instruction: " + line);
            if (args.startsWith("\"\"\"")) {
                StringBuilder value = new StringBuilder(args.substring(3));
                while (!value.toString().endsWith("\"\"\"")) value.append('\n').append(lines.get(++i));
                args = value.substring(0, value.length() - 3);
            }
            out.add(new Instruction(command, args));
        }
        return out;
    }

    private static String only(List<Instruction> instructions, String command) {
        List<String> values = instructions.stream().filter(i -> i.command().equals(command)).map(Instruction::args).toList();
        assertEquals(1, values.size(), command + " " + values);
        return values.getFirst();
    }

    @Test
    void pruneWritesAModelfileNamingTheFileItWrote() throws IOException {
        Path gguf = tmp.resolve("s.gguf"), modelfile = tmp.resolve("Modelfile");
        CliTest.Run r = run("prune", Shared.model("stories-16L").toString(), "--remove", "6-9", "--format", "gguf", "--dtype", "f32",
                "--out", gguf.toString(), "--modelfile", modelfile.toString());
        assertEquals(0, r.code(), r.err());
        List<Instruction> in = parse(modelfile);
        String from = only(in, "from");
        assertEquals("./s.gguf", from);
        assertTrue(Files.isSameFile(gguf, modelfile.getParent().resolve(from)), "FROM resolves, beside the Modelfile, to the GGUF written");
        try (GgufFile g = GgufFile.open(gguf)) {
            GgufMetadata m = g.metadata();
            assertEquals("num_ctx " + Math.min(m.intValue("llama.context_length"), 4096), only(in, "parameter"));
            assertFalse(m.has("tokenizer.chat_template"));
        }
        assertEquals("{{ .Prompt }}", only(in, "template"), "no chat template: the prompt goes to the model as it is");
        String text = Files.readString(modelfile);
        assertTrue(text.contains("12 layers, pruned from 16 (removed 6-9"), text);
    }

    @Test
    void aGgufElsewhereIsNamedByItsAbsolutePath() throws IOException {
        Path gguf = tmp.resolve("models/s.gguf"), modelfile = tmp.resolve("ollama/Modelfile");
        Files.createDirectories(gguf.getParent());
        Files.createDirectories(modelfile.getParent());
        assertEquals(0, run("convert", Shared.model("stories260K").toString(), "--out", gguf.toString(), "--modelfile", modelfile.toString()).code());
        assertEquals(gguf.toAbsolutePath().normalize().toString(), only(parse(modelfile), "from"));
    }

    /** A long trained context is capped, so that Ollama does not allocate a KV cache of gigabytes. */
    @Test
    void theContextIsCappedAt4096() throws IOException {
        Path dir = Shared.copyModel(Shared.model("tiny-qwen3-random"), tmp.resolve("long"));
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        JSON.writeValue(dir.resolve("config.json").toFile(), config.put("max_position_embeddings", 32768));
        Path gguf = tmp.resolve("q.gguf"), modelfile = tmp.resolve("Modelfile");
        assertEquals(0, run("convert", dir.toString(), "--out", gguf.toString(), "--modelfile", modelfile.toString()).code());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals(32768, g.metadata().intValue("qwen3.context_length"));
        }
        assertEquals("num_ctx 4096", only(parse(modelfile), "parameter"));
    }

    /** A chat template goes into the GGUF as llama.cpp's converter writes it, out again into tokenizer_config.json, and Ollama is left to derive its template. */
    @Test
    void chatTemplatesRoundTripAndLeaveTheTemplateToOllama() throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("chat"));
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        String main = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}", tools = "{{ tools | tojson }}";
        config.putArray("chat_template").add(JSON.createObjectNode().put("name", "default").put("template", main))
                .add(JSON.createObjectNode().put("name", "tool_use").put("template", tools));
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        Path gguf = tmp.resolve("chat.gguf"), modelfile = tmp.resolve("Modelfile"), back = tmp.resolve("back");
        assertEquals(0, run("convert", dir.toString(), "--out", gguf.toString(), "--modelfile", modelfile.toString()).code());
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals(main, g.metadata().string("tokenizer.chat_template"));
            assertEquals(tools, g.metadata().string("tokenizer.chat_template.tool_use"));
        }
        assertTrue(parse(modelfile).stream().noneMatch(i -> i.command().equals("template")), "Ollama derives the template from the file");
        assertEquals(0, run("convert", gguf.toString(), "--out", back.toString()).code());
        JsonNode list = JSON.readTree(back.resolve("tokenizer_config.json").toFile()).path("chat_template");
        assertEquals(config.get("chat_template"), list);
    }

    @Test
    void aSingleTemplateFromChatTemplateJinja() throws IOException {
        Path dir = Shared.copyModel(Shared.model("stories260K"), tmp.resolve("jinja"));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages[0].content }}");
        Path gguf = tmp.resolve("j.gguf"), back = tmp.resolve("back");
        assertEquals(0, run("convert", dir.toString(), "--out", gguf.toString()).code());
        assertEquals(0, run("convert", gguf.toString(), "--out", back.toString()).code());
        assertEquals("{{ messages[0].content }}", JSON.readTree(back.resolve("tokenizer_config.json").toFile()).path("chat_template").asText());
    }

    /** A Modelfile the user wrote holds their prompts: replaced only with --force; nothing is written when it is refused. */
    @Test
    void anExistingModelfileIsReplacedOnlyWithForce() throws IOException {
        Path gguf = tmp.resolve("s.gguf"), modelfile = tmp.resolve("Modelfile");
        Files.writeString(modelfile, "FROM llama3\nSYSTEM \"\"\"my prompt\"\"\"\n");
        String model = Shared.model("stories260K").toString();
        assertOneLineError(run("prune", model, "--remove", "1", "--format", "gguf", "--out", gguf.toString(), "--modelfile", modelfile.toString()),
                modelfile.toString(), "--force");
        assertFalse(Files.exists(gguf));
        assertEquals("FROM llama3\nSYSTEM \"\"\"my prompt\"\"\"\n", Files.readString(modelfile));
        assertOneLineError(run("convert", model, "--out", gguf.toString(), "--modelfile", gguf.toString()), gguf.toString());
        assertOneLineError(run("prune", model, "--remove", "1", "--out", tmp.resolve("hf").toString(), "--modelfile", modelfile.toString()),
                "--modelfile", "gguf");
        assertFalse(Files.exists(gguf));
        assertEquals(0, run("prune", model, "--remove", "1", "--format", "gguf", "--out", gguf.toString(), "--modelfile", modelfile.toString(),
                "--force").code());
        assertEquals("./s.gguf", only(parse(modelfile), "from"));
    }
}
