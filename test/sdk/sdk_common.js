// What the official-SDK driver scripts share: the "SDK <event> <detail>" lines the C++ tests wait
// for, and the provisioning scripts' last steps (report the assignment, then connect the device
// client to the assigned hub, send one message and close).
'use strict';

const { Message } = require('azure-iot-device');

// One line per event. A string detail is printed as it is (callers pass JSON they built); any
// other detail is printed as JSON.
function say(event, detail) {
  let text = '';
  if (detail !== undefined) {
    text = ' ' + (typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
  process.stdout.write(`SDK ${event}${text}\n`);
}

function fail(where, err) {
  say('error', `${where}: ${err && err.message ? err.message : err}`);
  process.exit(1);
}

// The registration result's fields the tests compare, in a fixed order.
function sayRegistered(result) {
  say('registered', {
    assignedHub: result.assignedHub,
    deviceId: result.deviceId,
    status: result.status,
    substatus: result.substatus,
  });
}

// Opens the device client on its assigned hub, sends `body` as JSON telemetry, closes.
async function sendOneAndClose(client, body) {
  await client.open();
  say('connected');
  await client.sendEvent(new Message(JSON.stringify(body)));
  say('sent');
  await client.close();
  say('done');
}

module.exports = { say, fail, sayRegistered, sendOneAndClose };
