package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shallow.ShallowException;
import dev.shallow.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch's side of {@code shallow bench}: runs {@code scripts/bench_torch.py} on the same model directory and
 * workload, one subprocess per dtype (so that each one's peak RSS is its own; stderr passes through), and reads the
 * JSON line each prints.
 */
public final class TorchBaseline {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final List<String> DTYPES = List.of("float32", "bfloat16");

    /** Results per dtype ("float32", "bfloat16"), each per workload name, and the peak RSS of the process that ran each dtype. */
    public record Result(String torchVersion, int threads, Map<String, Map<String, Measurement>> byDtype, Map<String, Long> peakRssBytes) {
        /** This result's dtypes, then {@code later}'s. */
        Result and(Result later) {
            Map<String, Map<String, Measurement>> measurements = new LinkedHashMap<>(byDtype);
            measurements.putAll(later.byDtype);
            Map<String, Long> peaks = new LinkedHashMap<>(peakRssBytes);
            peaks.putAll(later.peakRssBytes);
            return new Result(torchVersion, threads, measurements, peaks);
        }
    }

    private final String python;
    private final Path script;

    public TorchBaseline(String python, Path script) {
        this.python = python;
        this.script = script;
    }

    /** Null when the script exists and {@code import torch} works, else why not. */
    public String unavailableReason() {
        if (!Files.isRegularFile(script)) return script + " not found";
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return python + " -c 'import torch' did not finish within 60 s";
            }
            return p.exitValue() == 0 ? null : python + " cannot import torch: " + out.lines().reduce((a, b) -> b).orElse("");
        } catch (IOException e) {
            return "cannot run " + python + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Runs the workloads named {@code names} (row names such as "prefill_1x128", "decode") of {@code workload}, for each of {@link #DTYPES}. */
    public Result run(Path modelDir, Workload workload, List<String> names, int threads, int repeats, double budgetSeconds) {
        Path file = null;
        try {
            file = Files.createTempFile("shallow-bench-workload", ".json");
            AtomicFiles.writeJson(file, workload.toJson());
            Result all = null;
            for (String dtype : DTYPES) {
                Result r = run(List.of(python, script.toString(), modelDir.toString(), "--workload", file.toString(), "--dtypes", dtype,
                        "--threads", Integer.toString(threads), "--repeats", Integer.toString(repeats),
                        "--budget", Double.toString(budgetSeconds), "--only", String.join(",", names)));
                all = all == null ? r : all.and(r);
            }
            return all;
        } catch (IOException e) {
            throw new ShallowException("cannot run the PyTorch baseline: " + e.getMessage(), e);
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) throw new ShallowException(String.join(" ", cmd) + " failed with exit code " + rc);
            return parse(out.strip().lines().reduce((a, b) -> b).orElse(""));
        } catch (IOException e) {
            throw new ShallowException("cannot run the PyTorch baseline: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ShallowException("interrupted while running the PyTorch baseline");
        }
    }

    static Result parse(String line) throws IOException {
        JsonNode root = JSON.readTree(line);
        if (root == null || !root.path("results").isObject()) throw new ShallowException("bench_torch.py printed no results: " + line);
        Map<String, Map<String, Measurement>> byDtype = new LinkedHashMap<>();
        Map<String, Long> peaks = new LinkedHashMap<>();
        root.path("results").properties().forEach(dtype -> {
            JsonNode peak = root.path("peak_rss_bytes");
            peaks.put(dtype.getKey(), peak.isNumber() ? peak.asLong() : null);
            Map<String, Measurement> m = new LinkedHashMap<>();
            dtype.getValue().properties().forEach(w -> {
                JsonNode r = w.getValue();
                m.put(w.getKey(), new Measurement(r.path("per_s").asDouble(), r.path("seconds").asDouble(0),
                        r.path("runs").asInt(0), r.path("estimated").asBoolean(false), r.path("note").asText(null)));
            });
            byDtype.put(dtype.getKey(), m);
        });
        return new Result(root.path("torch").asText(), root.path("threads").asInt(), byDtype, peaks);
    }
}
