// Package sim simulates lower-back IMU wearables: physical models of quiet
// standing, walking, postural transitions, clinical tests, falls and their
// look-alikes; a sensor model that turns true trunk motion into raw readings;
// patients whose routine and impairment change over days; devices that batch,
// number, buffer and encode what they measure; and a fleet that publishes
// many devices to an MQTT broker.
//
// Every generator is deterministic for a seed: randomness comes from a
// *rand.Rand (math/rand/v2, PCG) handed in by the caller, and no generator
// reads the clock. Each scenario carries its ground truth (a Truth value,
// serialisable as JSON) so that analysis can be checked against it.
//
// Frames. The body (trunk) frame and, with the default mounting, the sensor
// frame use the axis order of the Mobilise-D lower-back recordings:
// index 0 = vertical (up), 1 = medio-lateral (right), 2 = antero-posterior
// (forward). The heading frame is the world frame turned with the person's
// heading: up, right, forward. Accelerometers read specific force, so an
// upright, still sensor reads +9.81 m/s² on axis 0.
package sim
