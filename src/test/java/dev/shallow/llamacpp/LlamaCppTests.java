package dev.shallow.llamacpp;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** A test class that asks llama.cpp: one {@link LlamaCpp} process for the class's tests, and a temporary directory. */
abstract class LlamaCppTests {
    static LlamaCpp llama;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        llama = new LlamaCpp();
    }

    @AfterAll
    static void stop() {
        if (llama != null) llama.close();
    }
}
