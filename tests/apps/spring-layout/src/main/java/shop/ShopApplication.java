package shop;

// Fixture source; the tests put the jars a Maven build would leave in target/ next to it.
public class ShopApplication {
    public static void main(String[] args) {
        System.out.println("shop");
    }
}
