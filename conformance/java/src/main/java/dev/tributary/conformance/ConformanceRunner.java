package dev.tributary.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The Kafka Streams side of the differential conformance suite: reads scenarios as JSON lines on
 * stdin (a catalogue topology by name and parameters, the cache setting, and input steps), runs
 * each through Kafka's own TopologyTestDriver, and writes one JSON line per scenario on stdout
 * with every output record in bytes (hex). One JVM serves a whole batch, or a shrinker that
 * keeps it open and sends candidates one at a time: each answer is flushed at once.
 */
public final class ConformanceRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  /** This JVM's own state directory, so that runners side by side never share store locks. */
  private static final String STATE_DIR = createStateDir();

  private ConformanceRunner() {}

  public static void main(String[] args) throws Exception {
    // `java -jar conformance-reference.jar [scenarios.jsonl [results.jsonl]]`; stdin and stdout otherwise.
    PrintStream out = args.length > 1
        ? new PrintStream(new java.io.FileOutputStream(args[1]), false, StandardCharsets.UTF_8)
        : new PrintStream(System.out, false, StandardCharsets.UTF_8);
    BufferedReader in = args.length > 0
        ? java.nio.file.Files.newBufferedReader(java.nio.file.Path.of(args[0]), StandardCharsets.UTF_8)
        : new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) continue;
      JsonNode scenario = JSON.readTree(line);
      out.println(JSON.writeValueAsString(run(scenario)));
      out.flush();
    }
    out.close();
  }

  static ObjectNode run(JsonNode scenario) {
    ObjectNode result = JSON.createObjectNode();
    result.put("id", scenario.path("id").asText());
    ArrayNode records = result.putArray("records");
    JsonNode params = scenario.path("params");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "conformance");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, STATE_DIR);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_DSL_STORE_CONFIG, StreamsConfig.IN_MEMORY);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, scenario.path("cache").asBoolean() ? 10L * 1024 * 1024 : 0L);
    Topology topology;
    try {
      topology = Catalogue.build(scenario.path("topology").asText(), params, props);
    } catch (RuntimeException e) {
      result.put("error", "catalogue: " + e);
      return result;
    }
    if (scenario.path("describeOnly").asBoolean()) {
      describeNodes(topology, result.putArray("nodes"));
      return result;
    }
    List<String> outputs = Catalogue.outputs(scenario.path("topology").asText());
    try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(0))) {
      java.util.Map<String, TestInputTopic<String, String>> inputs = new java.util.HashMap<>();
      java.util.Map<String, TestOutputTopic<byte[], byte[]>> outputTopics = new java.util.LinkedHashMap<>();
      for (String topic : outputs) {
        outputTopics.put(topic, driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
      }
      try {
        for (JsonNode step : scenario.path("steps")) {
          if (step.has("advance")) {
            driver.advanceWallClockTime(Duration.ofMillis(step.get("advance").asLong()));
            continue;
          }
          String topic = step.get("topic").asText();
          TestInputTopic<String, String> input = inputs.computeIfAbsent(
              topic, name -> driver.createInputTopic(name, new StringSerializer(), new StringSerializer()));
          String key = step.get("key").isNull() ? null : step.get("key").asText();
          String value = step.get("value").isNull() ? null : step.get("value").asText();
          org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
          for (JsonNode header : step.path("headers")) {
            headers.add(header.get(0).asText(), header.get(1).asText().getBytes(StandardCharsets.UTF_8));
          }
          input.pipeInput(new TestRecord<>(key, value, headers, step.get("ts").asLong()));
        }
      } catch (RuntimeException e) {
        result.put("error", rootCause(e));
      }
      if (scenario.path("internalTopics").asBoolean()) {
        // Changelog and repartition topics too, sorted by name, after the outputs.
        java.util.Set<String> inputsRead = new java.util.HashSet<>();
        for (JsonNode step : scenario.path("steps")) if (step.has("topic")) inputsRead.add(step.get("topic").asText());
        for (String topic : new java.util.TreeSet<>(driver.producedTopicNames())) {
          if (outputTopics.containsKey(topic) || inputsRead.contains(topic)) continue;
          outputTopics.put(topic, driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
        }
      }
      for (var entry : outputTopics.entrySet()) {
        for (TestRecord<byte[], byte[]> record : entry.getValue().readRecordsToList()) {
          ObjectNode node = records.addObject();
          node.put("topic", entry.getKey());
          node.put("key", record.key() == null ? null : HEX.formatHex(record.key()));
          node.put("value", record.value() == null ? null : HEX.formatHex(record.value()));
          node.put("ts", record.timestamp());
          Header[] headers = record.headers().toArray();
          if (headers.length > 0) {
            ArrayNode list = node.putArray("headers");
            for (Header header : headers) {
              list.addArray().add(header.key()).add(header.value() == null ? null : HEX.formatHex(header.value()));
            }
          }
        }
      }
    } catch (RuntimeException e) {
      if (!result.has("error")) result.put("error", rootCause(e));
    }
    return result;
  }

  /**
   * The topology's nodes, one line each, sorted: `source <name> <topics>`, `processor <name>
   * <stores>` or `sink <name> <topic>`, the names (generated ones included) that internal topics
   * derive from. Global stores are left out, as Tributary's describe() leaves them out.
   */
  private static void describeNodes(Topology topology, ArrayNode nodes) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    for (TopologyDescription.Subtopology subtopology : topology.describe().subtopologies()) {
      for (TopologyDescription.Node node : subtopology.nodes()) {
        if (node instanceof TopologyDescription.Source source) {
          lines.add("source " + node.name() + " " + new java.util.TreeSet<>(source.topicSet()));
        } else if (node instanceof TopologyDescription.Processor processor) {
          lines.add("processor " + node.name() + " " + new java.util.TreeSet<>(processor.stores()));
        } else if (node instanceof TopologyDescription.Sink sink) {
          lines.add("sink " + node.name() + " " + (sink.topic() == null ? "<dynamic>" : sink.topic()));
        }
      }
    }
    java.util.Collections.sort(lines);
    for (String line : lines) nodes.add(line);
  }

  private static String createStateDir() {
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("tributary-conformance-");
      dir.toFile().deleteOnExit();
      return dir.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String rootCause(Throwable error) {
    Throwable cause = error;
    while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}
