package dev.shallow.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;
import dev.shallow.analysis.ModelIdentity;
import dev.shallow.io.AtomicFiles;
import dev.shallow.io.OutputPolicy;
import dev.shallow.io.RunLock;
import dev.shallow.io.StrictJson;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A sweep's directory: {@code run.json} (model and options, written first), {@code analysis.json},
 * {@code generations.json} and {@code results.jsonl}. A directory holding another model's or other options' sweep is
 * refused before anything in it changes. An open run directory is locked ({@link RunLock}): one sweep at a time writes it.
 */
public final class RunDirectory implements AutoCloseable {
    public static final String FORMAT = "shallow-sweep";
    public static final String RUN = "run.json", ANALYSIS = "analysis.json", GENERATIONS = "generations.json", RESULTS = "results.jsonl";
    /** The files a sweep writes and a report reads. */
    public static final List<String> FILES = List.of(RUN, ANALYSIS, GENERATIONS, RESULTS);
    /** Scratch space of the point being healed (pruned checkpoint, adapter, merged model), removed after it. */
    public static final String WORK = "work";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final RunLock lock;

    /** A run directory to read (unlocked). */
    public RunDirectory(Path dir) {
        this(dir, null);
    }

    private RunDirectory(Path dir, RunLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /**
     * Makes {@code dir} a sweep directory for {@code run} (a run.json: format, model, options, ...), locked until {@link #close}:
     * a new or empty directory gets run.json; one whose run.json has the same model fingerprint and options is resumed as it is.
     */
    public static RunDirectory open(Path dir, ObjectNode run) {
        RunDirectory d = new RunDirectory(dir, RunLock.directory(dir));
        try {
            Path runFile = d.file(RUN);
            if (Files.exists(runFile)) {
                d.checkSameRun(run);
            } else if (!OutputPolicy.holdsOnlyShallowFiles(dir)) {
                throw ShallowException.at(dir, "is not empty and holds no " + RUN + ": not a sweep directory; refusing to write into it");
            } else {
                AtomicFiles.writeJson(runFile, run);
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** Releases the lock of a directory {@link #open} opened. */
    @Override
    public void close() {
        if (lock != null) lock.close();
    }

    /** The recorded run.json, checked to be a sweep's. */
    public JsonNode run() {
        JsonNode run = StrictJson.readObject(file(RUN));
        if (!FORMAT.equals(run.path("format").asText())) throw ShallowException.at(file(RUN), "is not a Shallow sweep (no \"format\": \"" + FORMAT + "\")");
        return run;
    }

    private void checkSameRun(ObjectNode wanted) {
        Path runFile = file(RUN);
        JsonNode recorded = run();
        try {
            ModelIdentity.fromJson(recorded.path("model")).checkSameModelAs(ModelIdentity.fromJson(wanted.path("model")));
        } catch (ShallowException e) {
            throw ShallowException.at(runFile, "this sweep was " + e.getMessage() + "; refusing to mix them (give another --out)");
        }
        JsonNode was = recorded.path("options"), now = asRead(wanted.path("options"));
        if (!was.equals(now)) {
            throw ShallowException.at(runFile, "this sweep was run with other options (" + firstDifference(was, now, "")
                    + "); refusing to mix them (rerun with the same options to resume, or give another --out)");
        }
    }

    /** {@code node} as it reads back from a file (numbers typed as the parser types them), so it compares equal to what was written. */
    private static JsonNode asRead(JsonNode node) {
        try {
            return JSON.readTree(JSON.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "limit: 100 recorded, 200 given" for the first option that differs. */
    static String firstDifference(JsonNode was, JsonNode now, String path) {
        if (was.isObject() && now.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = now.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode before = was.path(e.getKey());
                if (!before.equals(e.getValue())) return firstDifference(before, e.getValue(), path + (path.isEmpty() ? "" : ".") + e.getKey());
            }
            for (Iterator<String> it = was.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!now.has(key)) return path + (path.isEmpty() ? "" : ".") + key + ": " + was.get(key) + " recorded, not given";
            }
        }
        return path + ": " + (was.isMissingNode() ? "not recorded" : was + " recorded") + ", " + now + " given";
    }

}
