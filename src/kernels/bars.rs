//! Bar transforms whose output is a new frame rather than one value per row: renko, point-and-figure, kagi,
//! three-line break, tick/volume/range bars, resampling runs and the volume profile.
