package dev.shallow.sweep;

/** A task's (or group's) metric at one point: its value and stderr (NaN where the harness reports "N/A"). */
public record TaskScore(String task, String metric, double value, double stderr) {
}
