//! The chart renderer: frame columns -> scene (layout, scales, ticks, draw list) -> backend -> encoder.
