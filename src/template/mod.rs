//! Go `text/template`, exact to the byte, with Helm's and Sprig's functions.
