// Drives Microsoft's official Azure IoT provisioning SDK for Node.js with X.509 attestation
// (azure-iot-provisioning-device + azure-iot-provisioning-device-mqtt + azure-iot-security-x509,
// pinned in package-lock.json) against hubsim's DPS: registers a device with a leaf certificate
// that an X.509 enrollment group's CA issued, then connects the official device client to the
// assigned hub with the same certificate and sends one telemetry message. Prints one
// "SDK <event> <json>" line per step for provisioning_sdk_integration_test.cpp.
//
// Environment: HUBSIM_DPS_HOST (127.0.0.1:DPS_X509_PORT), HUBSIM_ID_SCOPE,
// HUBSIM_REGISTRATION_ID, HUBSIM_CERT_FILE and HUBSIM_KEY_FILE (the leaf, PEM), HUBSIM_GATEWAY
// (127.0.0.1:X509_PORT: the hub listener that asks for a client certificate), and
// NODE_EXTRA_CA_CERTS (hubsim's CA).
'use strict';

const fs = require('fs');
const { ProvisioningDeviceClient } = require('azure-iot-provisioning-device');
const { Mqtt: ProvisioningMqtt } = require('azure-iot-provisioning-device-mqtt');
const { X509Security } = require('azure-iot-security-x509');
const { Client, X509AuthenticationProvider } = require('azure-iot-device');
const { Mqtt } = require('azure-iot-device-mqtt');
const { fail, sayRegistered, sendOneAndClose } = require('./sdk_common');

async function main() {
  const registrationId = process.env.HUBSIM_REGISTRATION_ID;
  const certificate = {
    cert: fs.readFileSync(process.env.HUBSIM_CERT_FILE, 'utf8'),
    key: fs.readFileSync(process.env.HUBSIM_KEY_FILE, 'utf8'),
  };
  const security = new X509Security(registrationId, certificate);
  const provisioning = ProvisioningDeviceClient.create(
    process.env.HUBSIM_DPS_HOST, process.env.HUBSIM_ID_SCOPE, new ProvisioningMqtt(), security);
  const result = await provisioning.register();
  sayRegistered(result);

  // The SDK's connection-string parser drops GatewayHostName for x509=true connection strings;
  // its public authentication provider takes the same credentials with it.
  const client = Client.fromAuthenticationProvider(
    new X509AuthenticationProvider({
      host: result.assignedHub,
      deviceId: result.deviceId,
      gatewayHostName: process.env.HUBSIM_GATEWAY,
      x509: certificate,
    }),
    Mqtt);
  await sendOneAndClose(client, { provisioned: 'x509' });
}

main().catch((err) => fail('provisioning', err));
