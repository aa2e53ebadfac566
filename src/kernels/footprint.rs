//! How many bytes a kernel keeps on the heap, read through its serde description: the values held in its sequences.
//! A [`super::blocks::Ring`] counts its whole window (`cap` floats), which is what it holds once full: long rings
//! grow as values arrive, and a figure per key should not depend on how far the key has got. Live streams report it
//! per key.

use serde::ser::{self, Serialize};

/// Bytes of the values held in `value`'s sequences (the heap buffers of a kernel state).
pub fn heap_bytes<T: Serialize>(value: &T) -> usize {
    let mut counter = Counter { depth: 0, bytes: 0, ring: false, window: false };
    // Counting cannot fail: every method returns Ok.
    let _ = value.serialize(&mut counter);
    counter.bytes
}

struct Counter {
    /// How many sequences enclose the value being serialised: values at depth 0 live inline in the state.
    depth: usize,
    bytes: usize,
    /// Inside a `Ring`'s fields: its buffer is skipped and its `cap` counted instead.
    ring: bool,
    /// The next integer is a ring's `cap`.
    window: bool,
}

impl Counter {
    fn primitive(&mut self, size: usize) -> Result<(), Never> {
        if self.depth > 0 {
            self.bytes += size;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("counting never fails")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Never
    }
}

macro_rules! primitives {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, _v: $ty) -> Result<(), Never> {
            self.primitive(std::mem::size_of::<$ty>())
        })*
    };
}

impl<'a> ser::Serializer for &'a mut Counter {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Sequence<'a>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Sequence<'a>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    primitives!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_f32: f32, serialize_f64: f64,
        serialize_char: char);

    fn serialize_u64(self, v: u64) -> Result<(), Never> {
        if self.window {
            self.bytes = self.bytes.saturating_add((v as usize).saturating_mul(std::mem::size_of::<f64>()));
            return Ok(());
        }
        self.primitive(std::mem::size_of::<u64>())
    }

    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.bytes += v.len();
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        self.bytes += v.len();
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, _variant: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        value.serialize(self)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Sequence<'a>, Never> {
        self.depth += 1;
        Ok(Sequence(self))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Sequence<'a>, Never> {
        self.depth += 1;
        Ok(Sequence(self))
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Self, Never> {
        self.ring = name == "Ring";
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, Never> {
        Ok(self)
    }
}

/// A sequence or map being counted: its elements are on the heap.
pub struct Sequence<'a>(&'a mut Counter);

impl ser::SerializeSeq for Sequence<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Never> {
        value.serialize(&mut *self.0)
    }
    fn end(self) -> Result<(), Never> {
        self.0.depth -= 1;
        Ok(())
    }
}

impl ser::SerializeMap for Sequence<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Never> {
        key.serialize(&mut *self.0)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Never> {
        value.serialize(&mut *self.0)
    }
    fn end(self) -> Result<(), Never> {
        self.0.depth -= 1;
        Ok(())
    }
}

macro_rules! fields {
    ($($trait:ident: $method:ident),*) => {
        $(impl ser::$trait for &mut Counter {
            type Ok = ();
            type Error = Never;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Never> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        })*
    };
}

fields!(SerializeTuple: serialize_element, SerializeTupleStruct: serialize_field, SerializeTupleVariant: serialize_field);

impl ser::SerializeStruct for &mut Counter {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Never> {
        if self.ring {
            // A ring has no nested structs, so the flag holds for exactly its own fields.
            match key {
                "buf" => return Ok(()),
                "cap" => {
                    self.window = true;
                    let counted = value.serialize(&mut **self);
                    self.window = false;
                    return counted;
                }
                _ => {}
            }
        }
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        self.ring = false;
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Counter {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, _key: &'static str, value: &T) -> Result<(), Never> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::heap_bytes;
    use crate::kernels::blocks::Ring;

    #[test]
    fn a_ring_keeps_its_window_on_the_heap() {
        assert_eq!(heap_bytes(&Ring::new(14)), 14 * 8);
        assert_eq!(heap_bytes(&(1.0f64, Some(2.0f64))), 0);
        assert_eq!(heap_bytes(&(Ring::new(3), Ring::new(2))), 3 * 8 + 2 * 8);
        // A long ring holds a few values at first and grows; it is counted at its window all along.
        assert_eq!(heap_bytes(&Ring::new(1 << 20)), (1 << 20) * 8);
        assert_eq!(heap_bytes(&(Ring::new(1 << 20), 5u64)), (1 << 20) * 8);
    }
}
