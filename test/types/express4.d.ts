// Express 4 is installed under the alias `express4` beside Express 5; its API is typed like 5's.
declare module 'express4' {
  import express from 'express'
  export default express
}
