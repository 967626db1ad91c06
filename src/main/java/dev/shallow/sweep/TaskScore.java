package dev.shallow.sweep;

import java.io.Serializable;

/** A task's (or group's) metric at one point: its value and stderr (NaN where the harness reports "N/A"). */
public record TaskScore(String task, String metric, double value, double stderr) implements Serializable {
}
