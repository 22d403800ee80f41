// Drives Microsoft's official Azure IoT device SDK for Node.js against hubsim. The C++ test
// (sdk_test.cpp) starts hubsim, runs this script, and plays the service side; this script prints
// one "SDK <event> ..." line per device-side event so the test can wait for it.
//
// Environment: HUBSIM_CONNECTION_STRING (with GatewayHostName=127.0.0.1:PORT for MQTT, or
// GatewayHostName=127.0.0.1 for MQTT-WS), HUBSIM_CA (PEM file), HUBSIM_TRANSPORT (mqtt | mqtt-ws),
// HUBSIM_WSS_PORT (mqtt-ws only), HUBSIM_TOKEN_TTL / HUBSIM_TOKEN_MARGIN (seconds; short values
// make the SDK renew its SAS token, which it does by reconnecting).
'use strict';

const fs = require('fs');
const https = require('https');
const { Client, Message, SharedAccessKeyAuthenticationProvider } = require('azure-iot-device');
const { Mqtt, MqttWs } = require('azure-iot-device-mqtt');

const { say, fail } = require('./sdk_common');

// The SDK's WebSocket transport always dials port 443; this agent sends it to hubsim's port.
class PortAgent extends https.Agent {
  constructor(port, ca) {
    super({ ca, keepAlive: false });
    this.port = port;
  }
  createConnection(options, callback) {
    return super.createConnection({ ...options, port: this.port }, callback);
  }
}

async function main() {
  const ca = fs.readFileSync(process.env.HUBSIM_CA, 'utf8');
  const transport = process.env.HUBSIM_TRANSPORT || 'mqtt';
  const ttl = Number(process.env.HUBSIM_TOKEN_TTL || 3600);
  const margin = Number(process.env.HUBSIM_TOKEN_MARGIN || 900);
  const auth = SharedAccessKeyAuthenticationProvider.fromConnectionString(
    process.env.HUBSIM_CONNECTION_STRING, ttl, margin);
  auth.on('newTokenAvailable', () => say('token-renewed'));
  const client = Client.fromAuthenticationProvider(auth, transport === 'mqtt-ws' ? MqttWs : Mqtt);

  // One setOptions call: each call replaces the earlier options.
  const options = { ca };
  if (transport === 'mqtt-ws') {
    options.mqtt = { webSocketAgent: new PortAgent(Number(process.env.HUBSIM_WSS_PORT), ca) };
  }
  await client.setOptions(options);

  client.on('error', (err) => say('client-error', err.message));
  client.on('disconnect', () => say('disconnected'));
  client.on('message', (msg) => {
    const props = {};
    for (let i = 0; i < msg.properties.count(); i++) {
      const p = msg.properties.getItem(i);
      props[p.key] = p.value;
    }
    say('c2d', JSON.stringify({ data: msg.data.toString(), messageId: msg.messageId, properties: props }));
    client.complete(msg, (err) => err && say('client-error', `complete: ${err.message}`));
  });
  client.onDeviceMethod('echo', (request, response) => {
    say('method', JSON.stringify({ name: request.methodName, payload: request.payload }));
    response.send(200, { echo: request.payload }, (err) => err && say('client-error', `method: ${err.message}`));
  });

  await client.open();
  say('connected', transport);

  const message = new Message(JSON.stringify({ temperature: 21.5 }));
  message.messageId = 'sdk-message-1';
  message.contentType = 'application/json';
  message.contentEncoding = 'utf-8';
  message.properties.add('sdk-prop', 'yes');
  message.properties.add('with space', 'a/b&c');
  await client.sendEvent(message);
  say('telemetry-sent');

  const twin = await client.getTwin();
  say('twin', JSON.stringify({ desiredVersion: twin.properties.desired.$version }));
  twin.on('properties.desired', (patch) => say('desired', JSON.stringify(patch)));
  await new Promise((resolve, reject) => {
    twin.properties.reported.update({ sdkStatus: 'online', transport }, (err) => (err ? reject(err) : resolve()));
  });
  say('reported-patched');
  say('ready');
}

main().catch((err) => fail('main', err));
