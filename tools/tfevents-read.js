#!/usr/bin/env node
// Reads a TensorBoard event file with code that is not digits': the TFRecord framing and its
// masked CRC-32C by npm's tfrecord (RecordReader, fast-crc32c), the Event protocol buffers by
// protobufjs with TensorFlow's own field numbers (tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto). Prints one line per scalar: step,tag,value.
// The tests compare that with what digits wrote (tests/report/tensorboard_test.cpp).
//
//   node tools/tfevents-read.js events.out.tfevents.*      (NODE_PATH: where tfrecord is)
'use strict';

const { RecordReader } = require('tfrecord/lib/record_reader');
const protobuf = require('protobufjs');

const root = protobuf.parse(`
syntax = "proto3";
message HistogramProto { double min = 1; double max = 2; double num = 3; }
message SummaryMetadata { string display_name = 2; string summary_description = 3; }
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      HistogramProto histo = 5;
    }
  }
  repeated Value value = 1;
}
message LogMessage { int32 level = 1; string message = 2; }
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    LogMessage log_message = 6;
  }
}
`).root;
const Event = root.lookupType('Event');

async function main(path) {
  const reader = await RecordReader.create(path);  // throws on a CRC that does not match
  let first = true;
  for (let record; (record = await reader.readRecord()) !== null; first = false) {
    const event = Event.toObject(Event.decode(record), { longs: String });
    if (first) {
      if (!String(event.fileVersion || '').startsWith('brain.Event:')) {
        throw new Error(`${path}: the first event has no file_version`);
      }
      continue;
    }
    for (const v of (event.summary || {}).value || []) {
      console.log(`${event.step || 0},${v.tag},${v.simpleValue}`);
    }
  }
}

if (process.argv.length !== 3) {
  console.error('usage: node tools/tfevents-read.js EVENT_FILE');
  process.exit(2);
}
main(process.argv[2]).catch((e) => {
  console.error(`tfevents-read: ${e.message}`);
  process.exit(1);
});
