package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/** The analysis a plan was derived from: its file and the calibration/analysis options recorded in it (null if none). */
public record AnalysisSource(Path file, JsonNode options) {
}
