// Drives Microsoft's official Azure IoT provisioning SDK for Node.js (azure-iot-provisioning-device
// + azure-iot-provisioning-device-mqtt + azure-iot-security-symmetric-key, pinned in
// package-lock.json) against hubsim's DPS: registers a device with a key derived from a group
// enrollment key, then connects the official device client to the assigned hub and sends one
// telemetry message. Prints one "SDK <event> <json>" line per step for sdk_test.cpp.
//
// Environment: HUBSIM_DPS_HOST (127.0.0.1:PORT), HUBSIM_ID_SCOPE, HUBSIM_REGISTRATION_ID,
// HUBSIM_GROUP_KEY (base64), HUBSIM_GATEWAY (127.0.0.1:MQTTS_PORT: where the assigned hub's
// MQTT listener is), and NODE_EXTRA_CA_CERTS (hubsim's CA: the provisioning transport takes no
// CA option).
'use strict';

const crypto = require('crypto');
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
const { Mqtt: ProvisioningMqtt } = require('azure-iot-provisioning-device-mqtt');
const { SymmetricKeySecurityClient } = require('azure-iot-security-symmetric-key');
const { Client } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { fail, sayRegistered, sendOneAndClose } = require('./sdk_common');

async function main() {
  const registrationId = process.env.HUBSIM_REGISTRATION_ID;
  // The group-derived device key, as the Azure documentation computes it.
  const deviceKey = crypto
    .createHmac('sha256', Buffer.from(process.env.HUBSIM_GROUP_KEY, 'base64'))
    .update(registrationId, 'utf8')
    .digest('base64');
  const security = new SymmetricKeySecurityClient(registrationId, deviceKey);
  const provisioning = ProvisioningDeviceClient.create(
    process.env.HUBSIM_DPS_HOST, process.env.HUBSIM_ID_SCOPE, new ProvisioningMqtt(), security);
  const result = await provisioning.register();
  sayRegistered(result);

  const client = Client.fromConnectionString(
    `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${deviceKey};` +
      `GatewayHostName=${process.env.HUBSIM_GATEWAY}`,
    Mqtt);
  await sendOneAndClose(client, { provisioned: true });
}

main().catch((err) => fail('provisioning', err));
