//! With std: a framer that allocates its buffer, once.

use super::{DEFAULT_CAPACITY, Delimiter, Framer, MIN_CAPACITY, Timestamp};

impl<T: Timestamp> Framer<Box<[u8]>, T> {
    /// A framer with a [`DEFAULT_CAPACITY`] buffer.
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// let framer = StreamFramer::new(Delimiter::Mbap);
    /// assert_eq!(framer.delimiter(), Delimiter::Mbap);
    /// ```
    pub fn new(delimiter: Delimiter) -> Self {
        Self::with_capacity(delimiter, DEFAULT_CAPACITY)
    }

    /// A framer whose buffer holds `capacity` bytes (at least [`MIN_CAPACITY`]: two
    /// MBAP frames' worth).
    ///
    /// ```
    /// use msm_proto::stream::{Delimiter, StreamFramer};
    /// let mut framer = StreamFramer::with_capacity(Delimiter::Mbap, 0);
    /// assert_eq!(framer.read_space().len(), 520); // two 260-byte frames
    /// ```
    pub fn with_capacity(delimiter: Delimiter, capacity: usize) -> Self {
        let buffer = vec![0; capacity.max(MIN_CAPACITY)].into_boxed_slice();
        Framer::over(delimiter, buffer)
    }
}
