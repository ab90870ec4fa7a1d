//! Everything that touches the Cortex-R52: the reset entry, the Hyp vector
//! table, the EL2 MPU registers and semihosting. Target builds only.

pub mod context;
pub mod cpu;
pub mod mpu;
pub mod semihosting;
pub mod start;
pub mod vectors;
