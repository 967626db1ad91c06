package dev.shallow.convert;

import dev.shallow.Version;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.GgufFile;
import dev.shallow.io.GgufMetadata;
import dev.shallow.prune.Layers;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ollama's Modelfile for a GGUF file Shallow wrote ({@code ollama create NAME -f FILE}), described from the file's own
 * metadata: {@code FROM} the GGUF (relative to the Modelfile's directory when the GGUF lies under it, as Ollama resolves
 * it, else absolute), {@code PARAMETER num_ctx} the trained context up to {@link #MAX_CONTEXT} (Ollama's default context
 * is not the model's), and, for a file without {@code tokenizer.chat_template},
 * {@code TEMPLATE """{{ .Prompt }}"""} so the prompt reaches the model as plain text; with one, Ollama derives its template
 * from it. Comments say which layers a pruning removed (from {@link PruningMetadata}'s keys).
 */
public final class OllamaModelfile {
    /** The largest num_ctx written: a model trained on 128k tokens would otherwise ask Ollama for a KV cache of gigabytes. */
    static final int MAX_CONTEXT = 4096;

    private OllamaModelfile() {
    }

    /** Writes the Modelfile for {@code gguf} to {@code modelfile} atomically; an existing regular file is replaced, nothing else. */
    public static void write(Path modelfile, Path gguf) {
        String text = text(modelfile, gguf);
        AtomicFiles.write(modelfile, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    /** The Modelfile's text, for a Modelfile at {@code modelfile} naming {@code gguf}. */
    public static String text(Path modelfile, Path gguf) {
        try (GgufFile g = GgufFile.open(gguf)) {
            GgufMetadata m = g.metadata();
            String arch = m.string("general.architecture");
            int layers = m.intValue(arch + ".block_count"), context = m.intValue(arch + ".context_length");
            StringBuilder s = new StringBuilder();
            s.append("# Ollama Modelfile written by shallow ").append(Version.VERSION).append(" (run: ollama create NAME -f THIS_FILE)\n");
            s.append("# ").append(gguf.getFileName()).append(": ").append(arch).append(", ").append(layers).append(" layers");
            if (m.has(PruningMetadata.PREFIX + "removed")) {
                s.append(", pruned from ").append(m.intValue(PruningMetadata.PREFIX + "layers_before")).append(" (removed ")
                        .append(Layers.format(m.intArray(PruningMetadata.PREFIX + "removed"))).append(", 0-indexed in the source)");
            }
            s.append('\n');
            s.append("FROM ").append(from(modelfile, gguf)).append('\n');
            s.append("PARAMETER num_ctx ").append(Math.min(context, MAX_CONTEXT)).append('\n');
            if (m.has("tokenizer.chat_template")) s.append("# no TEMPLATE: Ollama derives it from the file's tokenizer.chat_template\n");
            else s.append("TEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n");
            return s.toString();
        }
    }

    /** The GGUF's path as FROM gives it: relative ("./...") when under the Modelfile's directory, else absolute. */
    static String from(Path modelfile, Path gguf) {
        Path dir = modelfile.toAbsolutePath().normalize().getParent(), file = gguf.toAbsolutePath().normalize();
        return file.startsWith(dir) ? "./" + dir.relativize(file) : file.toString();
    }
}
