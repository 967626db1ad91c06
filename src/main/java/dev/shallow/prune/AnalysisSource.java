package dev.shallow.prune;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;

/**
 * The analysis a plan was derived from: its file (null when the plan's command analysed the model in-process) and
 * the calibration/analysis options recorded in it.
 */
public record AnalysisSource(Path file, JsonNode options) {
}
