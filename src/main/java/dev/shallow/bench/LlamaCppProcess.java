package dev.shallow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shallow.ShallowException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * llama.cpp in a child process: {@code node tools/llamacpp/oracle.mjs} (node-llama-cpp's prebuilt CPU binaries, installed by
 * scripts/install_llamacpp.sh), kept running so that one process answers many requests. Each request is one JSON line on
 * its stdin and its answer one JSON line on its stdout (the protocol is described at the top of oracle.mjs); node's stderr is
 * kept (its last lines) for error messages.
 */
public final class LlamaCppProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lines of node's stderr kept for error messages. */
    private static final int STDERR_LINES = 20;

    private final Process process;
    private final OutputStream stdin;
    private final BufferedReader stdout;
    private final Deque<String> stderr = new ArrayDeque<>();

    private LlamaCppProcess(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Thread.ofVirtual().start(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    synchronized (stderr) {
                        if (stderr.size() == STDERR_LINES) stderr.removeFirst();
                        stderr.addLast(line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
    }

    /** tools/llamacpp/oracle.mjs under the project directory {@code home}. */
    public static Path script(Path home) {
        return home.resolve("tools").resolve("llamacpp").resolve("oracle.mjs");
    }

    /** Why {@code script} cannot run (no script, node-llama-cpp not installed beside it, no node on PATH), or null when it can. */
    public static String unavailableReason(Path script) {
        if (!Files.isRegularFile(script)) return script + " not found";
        Path addon = script.resolveSibling("node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node");
        if (!Files.isRegularFile(addon)) return "llama.cpp (node-llama-cpp) is not installed in " + script.getParent() + " (run: bash scripts/install_llamacpp.sh)";
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "node --version did not finish within 30 s";
            }
            return p.exitValue() == 0 ? null : "node --version failed";
        } catch (IOException e) {
            return "cannot run node (Node.js >= 20 on PATH is needed for llama.cpp): " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Starts node on {@code script}; fails with {@link #unavailableReason}'s message when it cannot run. */
    public static LlamaCppProcess start(Path script) {
        String reason = unavailableReason(script);
        if (reason != null) throw new ShallowException("llama.cpp: " + reason);
        try {
            return new LlamaCppProcess(new ProcessBuilder("node", script.toString()).start());
        } catch (IOException e) {
            throw new ShallowException("llama.cpp: cannot run node " + script + ": " + e.getMessage(), e);
        }
    }

    /** The answer to {@code request}; a refused request ({@code "ok": false}), a dead process or no answer within {@code timeout} throws. */
    public JsonNode request(ObjectNode request, Duration timeout) {
        String line;
        try {
            stdin.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            line = CompletableFuture.supplyAsync(this::readLine, Thread::startVirtualThread).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
            throw failure("no answer within " + timeout.toSeconds() + " s");
        } catch (IOException | ExecutionException e) {
            throw failure(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw failure("interrupted");
        }
        if (line == null) throw failure("node ended without an answer");
        JsonNode answer;
        try {
            answer = JSON.readTree(line);
        } catch (IOException e) {
            throw failure("not JSON: " + line);
        }
        if (!answer.path("ok").asBoolean(false)) throw new ShallowException("llama.cpp: " + answer.path("error").asText(line));
        return answer;
    }

    private String readLine() {
        try {
            return stdout.readLine();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private ShallowException failure(String what) {
        String tail;
        synchronized (stderr) {
            tail = String.join(" | ", stderr);
        }
        return new ShallowException("llama.cpp: " + what + (tail.isEmpty() ? "" : " (node stderr: " + tail + ")"));
    }

    /** Ends node: its stdin closed (it finishes and exits), forcibly after 10 s. */
    @Override
    public void close() {
        try {
            stdin.close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
